#include "sys/user_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "sys/unique_fd.h"
#include "util/content_hash.h"

namespace torchdiag {

namespace {

/// Opens `path` for reading when it is a regular file; `st` gets its status.
Expected<UniqueFd> open_regular(const std::string& path, struct stat& st) {
  using Result = Expected<UniqueFd>;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd.ok()) return Result::failure(std::strerror(errno));
  if (::fstat(fd.get(), &st) != 0) return Result::failure(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return Result::failure("a directory, not a file");
  if (!S_ISREG(st.st_mode)) return Result::failure("not a regular file");
  return Result(std::move(fd));
}

}  // namespace

Expected<std::string> read_user_file(const std::string& path, size_t max_bytes) {
  using Result = Expected<std::string>;
  struct stat st {};
  auto opened = open_regular(path, st);
  if (!opened) return Result::failure(opened.error());
  auto& fd = *opened;
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

Expected<std::string> hash_user_file(const std::string& path) {
  using Result = Expected<std::string>;
  struct stat st {};
  auto opened = open_regular(path, st);
  if (!opened) return Result::failure(opened.error());
  ContentHash hash;
  std::string buf(1 << 20, '\0');
  for (;;) {
    const ssize_t n = ::read(opened->get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Result::failure(std::strerror(errno));
    if (n == 0) break;
    hash.update(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
  return hash.text();
}

}  // namespace torchdiag
