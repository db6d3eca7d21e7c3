#include "sys/worker_path.h"

#include <sys/auxv.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <vector>

#include "sys/fs_reader.h"
#include "util/strings.h"

namespace torchdiag {

std::string self_executable() {
  const auto* execfn = reinterpret_cast<const char*>(::getauxval(AT_EXECFN));
  if (!execfn) return "";
  char buf[PATH_MAX];
  if (!::realpath(execfn, buf)) return "";
  return buf;
}

Fact<std::string> find_worker() {
  std::vector<std::string> tried;
  if (const char* env = std::getenv("TORCHDIAG_WORKER"); env && *env) {
    if (::access(env, X_OK) == 0) return Fact<std::string>::known(env, "TORCHDIAG_WORKER");
    return Fact<std::string>::unavailable("TORCHDIAG_WORKER is not an executable file", env);
  }
  const auto self = self_executable();
  if (!self.empty()) {
    const auto dir = parent_path(self);
    tried.push_back(join_path(dir, "torchdiag-worker"));
    tried.push_back(join_path(parent_path(dir), "libexec/torchdiag/torchdiag-worker"));
  }
  tried.push_back(join_path(TORCHDIAG_LIBEXECDIR, "torchdiag-worker"));
  for (const auto& path : tried) {
    if (::access(path.c_str(), X_OK) == 0) return Fact<std::string>::known(path, path);
  }
  return Fact<std::string>::unavailable("torchdiag-worker not found (looked in " + join(tried, ", ") +
                                        "; install the torchdiag-worker package, or set TORCHDIAG_WORKER)");
}

}  // namespace torchdiag
