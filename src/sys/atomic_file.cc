#include "sys/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "sys/unique_fd.h"

namespace torchdiag {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

std::string write_file_atomically(const std::string& dir, const std::string& name, const std::string& text) {
  const UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd.ok()) return errno_text("cannot open directory '" + dir + "'");
  std::random_device seed;
  std::string tmp;
  UniqueFd fd;
  for (int attempt = 0; attempt < 16 && !fd.ok(); ++attempt) {
    tmp = fmt::format(".{}.{:08x}.tmp", name, seed());
    fd = UniqueFd(::openat(dfd.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd.ok() && errno != EEXIST) break;
  }
  if (!fd.ok()) return errno_text(fmt::format("cannot create a temporary file in '{}'", dir));
  const auto fail = [&](const std::string& what) {
    const auto why = errno_text(what);
    ::unlinkat(dfd.get(), tmp.c_str(), 0);
    return why;
  };
  if (const int err = write_all(fd.get(), text)) {
    errno = err;
    return fail(fmt::format("cannot write '{}/{}'", dir, tmp));
  }
  // The umask may have narrowed the mode; the collector runs as another user.
  if (::fchmod(fd.get(), 0644) != 0 || ::fsync(fd.get()) != 0) return fail(fmt::format("cannot write '{}/{}'", dir, tmp));
  if (::renameat(dfd.get(), tmp.c_str(), dfd.get(), name.c_str()) != 0) {
    return fail(fmt::format("cannot rename '{}/{}' to '{}'", dir, tmp, name));
  }
  return "";
}

}  // namespace torchdiag
