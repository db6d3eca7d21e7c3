#include "sys/fs_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>

#include "sys/unique_fd.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

/// Linux's own limit on symbolic links followed in one lookup (path_resolution(7)).
constexpr int kMaxSymlinkHops = 40;

// Reasons of our own, carried as errno values so callers can tell them apart.
constexpr int kEscapesRoot = EXDEV;
constexpr int kNotRegular = EINVAL;
constexpr int kTooLarge = EFBIG;

std::string describe(int err) {
  switch (err) {
    case kEscapesRoot: return "escapes the root";
    case kNotRegular: return "not a regular file";
    case kTooLarge: return "larger than the read cap of 16 MiB";
    default: return std::strerror(err);
  }
}

std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> out;
  for (const auto part : split(path, '/')) {
    if (!part.empty() && part != ".") out.emplace_back(part);
  }
  return out;
}

/// Where a path ends up: an O_PATH descriptor of the object, and (unless the path is
/// the root itself) its parent directory and name, to reopen it for reading without
/// following a link that was put there in between.
struct Located {
  UniqueFd parent;
  std::string name;
  struct stat st {};
};

/// Resolves `path` below the directory `root` without leaving it. Returns 0 or an errno.
int locate(int root, std::string_view path, Located& out) {
  std::deque<std::string> todo;
  for (auto& c : components(path)) todo.push_back(std::move(c));
  std::vector<UniqueFd> dirs;  // directories below the root, outermost first
  int hops = 0;
  while (!todo.empty()) {
    const std::string name = std::move(todo.front());
    todo.pop_front();
    if (name == "..") {
      if (dirs.empty()) return kEscapesRoot;
      dirs.pop_back();
      continue;
    }
    const int parent = dirs.empty() ? root : dirs.back().get();
    UniqueFd fd(::openat(parent, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!fd.ok() || ::fstat(fd.get(), &st) != 0) return errno;
    if (S_ISLNK(st.st_mode)) {
      if (++hops > kMaxSymlinkHops) return ELOOP;
      char target[PATH_MAX];
      const ssize_t n = ::readlinkat(fd.get(), "", target, sizeof target);
      if (n < 0) return errno;
      if (static_cast<size_t>(n) >= sizeof target) return ENAMETOOLONG;
      const std::string_view t(target, static_cast<size_t>(n));
      if (!t.empty() && t.front() == '/') dirs.clear();  // absolute: from the root
      const auto parts = components(t);
      todo.insert(todo.begin(), parts.begin(), parts.end());
      continue;
    }
    if (todo.empty()) {
      out.parent = UniqueFd(::fcntl(parent, F_DUPFD_CLOEXEC, 0));
      if (!out.parent.ok()) return errno;
      out.name = name;
      out.st = st;
      return 0;
    }
    if (!S_ISDIR(st.st_mode)) return ENOTDIR;
    dirs.push_back(std::move(fd));
  }
  // The path is the root itself, or a directory reached through "..".
  const int dir = dirs.empty() ? root : dirs.back().get();
  out.parent = UniqueFd(::fcntl(dir, F_DUPFD_CLOEXEC, 0));
  out.name = ".";
  if (!out.parent.ok() || ::fstat(dir, &out.st) != 0) return errno;
  return 0;
}

/// 0 when `st` is what `flags` asks for (a directory for O_DIRECTORY, else a regular
/// file), else the errno to report.
int kind_error(const struct stat& st, int flags) {
  if (flags & O_DIRECTORY) return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
  if (S_ISREG(st.st_mode)) return 0;
  return S_ISDIR(st.st_mode) ? EISDIR : kNotRegular;
}

/// `fd` when it is still the object `expected` described, else closes it: -ENOENT.
int same_object_or_close(int fd, const struct stat& expected) {
  if (fd < 0) return -errno;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_ino != expected.st_ino || st.st_dev != expected.st_dev) {
    ::close(fd);
    return -ENOENT;  // replaced while we looked: treat as gone
  }
  return fd;
}

/// Opens `path` under `root_dir` for reading with `flags`, never anything but a regular
/// file (or a directory for O_DIRECTORY): the kind is checked before the open, so a
/// device is never opened. Returns the fd or -errno.
int open_located(const std::string& root_dir, bool live, std::string_view path, int flags) {
  if (live) {  // nothing lies outside "/": no need to walk, only to fold ".."
    const auto abs = normalize_path(path);
    struct stat before {};
    if (abs.empty()) return -kEscapesRoot;
    if (::stat(abs.c_str(), &before) != 0) return -errno;
    if (const int err = kind_error(before, flags)) return -err;
    return same_object_or_close(::open(abs.c_str(), flags | O_CLOEXEC), before);
  }
  const UniqueFd root(::open(root_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.ok()) return -errno;
  Located where;
  if (const int err = locate(root.get(), path, where)) return -err;
  if (const int err = kind_error(where.st, flags)) return -err;
  const int fd = ::openat(where.parent.get(), where.name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
  return same_object_or_close(fd, where.st);
}

std::string read_all(int fd, FileRead& out) {
  std::string text;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      out.errno_value = errno;
      return "";
    }
    if (text.size() + static_cast<size_t>(n) > FsReader::kMaxFileBytes) {
      out.errno_value = kTooLarge;
      return "";
    }
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace

FsReader::FsReader(std::string root) : root_(std::move(root)) {
  if (root_.empty()) root_ = kLiveRoot;
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  live_ = root_ == kLiveRoot;
}

void FsReader::record(const std::string& normalized, bool dir) const {
  if (log_) log_->push_back(dir && normalized != "/" ? normalized + "/" : normalized);
}

FileRead FsReader::read(std::string_view path) const {
  FileRead out;
  const int fd = open_located(root_, live_, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    out.errno_value = -fd;
  } else {
    out.text = read_all(fd, out);
    ::close(fd);
  }
  if (out.errno_value != 0) {
    out.error = describe(out.errno_value);
    return out;
  }
  record(normalize_path(path), false);
  return out;
}

bool FsReader::exists(std::string_view path) const {
  if (live_) {
    const auto abs = normalize_path(path);
    struct stat st {};
    return !abs.empty() && ::stat(abs.c_str(), &st) == 0;
  }
  const UniqueFd root(::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  Located where;
  return root.ok() && locate(root.get(), path, where) == 0;
}

bool FsReader::is_dir(std::string_view path) const {
  const int fd = open_located(root_, live_, path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return false;
  ::close(fd);
  record(normalize_path(path), true);
  return true;
}

std::vector<std::string> FsReader::list_dir(std::string_view path) const {
  std::vector<std::string> names;
  const int fd = open_located(root_, live_, path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return names;
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return names;
  }
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  record(normalize_path(path), true);
  return names;
}

std::string normalize_path(std::string_view path) {
  std::vector<std::string> parts;
  for (auto& c : components(path)) {
    if (c != "..") {
      parts.push_back(std::move(c));
    } else if (parts.empty()) {
      return "";
    } else {
      parts.pop_back();
    }
  }
  return parts.empty() ? "/" : "/" + join(parts, "/");
}

std::string parent_path(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return "";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  if (name.empty()) return out.empty() ? "/" : out;
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

}  // namespace torchdiag
