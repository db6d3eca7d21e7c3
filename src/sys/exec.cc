#include "sys/exec.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace torchdiag {

ExecFailure exec_command(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& vars) {
  if (argv.empty()) return {127, "no command given"};
  for (const auto& [name, value] : vars) {
    if (::setenv(name.c_str(), value.c_str(), 1) != 0) {
      return {126, name + ": cannot set the variable: " + std::strerror(errno)};
    }
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(nullptr);  // nothing buffered may be lost or written twice
  ::execvp(args[0], args.data());
  const int err = errno;
  const bool has_slash = argv[0].find('/') != std::string::npos;
  // Shell conventions (POSIX 2.8.2): 127 when the command is not found, 126 otherwise.
  if (err == ENOENT || err == ENOTDIR) {
    return {127, argv[0] + ": " + (has_slash ? std::strerror(err) : "command not found")};
  }
  return {126, argv[0] + ": " + std::strerror(err)};
}

}  // namespace torchdiag
