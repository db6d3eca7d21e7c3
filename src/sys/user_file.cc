#include "sys/user_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "sys/unique_fd.h"

namespace torchdiag {

Expected<std::string> read_user_file(const std::string& path, size_t max_bytes) {
  using Result = Expected<std::string>;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd.ok()) return Result::failure(std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Result::failure(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return Result::failure("a directory, not a file");
  if (!S_ISREG(st.st_mode)) return Result::failure("not a regular file");
  if (static_cast<unsigned long long>(st.st_size) > max_bytes) {
    return Result::failure(fmt::format("larger than {} MiB", max_bytes >> 20));
  }
  std::string text;
  text.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Result::failure(std::strerror(errno));
    if (n == 0) break;  // shrank while being read
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  return text;
}

}  // namespace torchdiag
