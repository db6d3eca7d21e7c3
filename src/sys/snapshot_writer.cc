#include "sys/snapshot_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "sys/unique_fd.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

bool dir_is_empty(int dir_fd) {
  const int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* dir = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (!dir) {
    if (fd >= 0) ::close(fd);
    return false;
  }
  bool empty = true;
  while (const dirent* e = ::readdir(dir)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) empty = false;
  }
  ::closedir(dir);
  return empty;
}

/// Opens (creating it, and its parents, when missing) the target directory, with the
/// refusals that --force lifts.
UniqueFd open_target(const std::string& dest, bool force, SnapshotWrite& out) {
  struct stat st {};
  const bool existed = ::lstat(dest.c_str(), &st) == 0;
  if (existed && S_ISLNK(st.st_mode) && !force) {
    out.refused = true;
    out.error = fmt::format("snapshot directory '{}' is a symbolic link (use --force to write through it)", dest);
    return UniqueFd();
  }
  if (!existed) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(dest).parent_path(), ec);
    if (::mkdir(dest.c_str(), 0755) != 0 && errno != EEXIST) {
      out.error = fmt::format("cannot create '{}': {}", dest, std::strerror(errno));
      return UniqueFd();
    }
  }
  UniqueFd fd(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | (force ? 0 : O_NOFOLLOW)));
  if (!fd.ok()) {
    out.refused = errno == ELOOP || errno == ENOTDIR;
    out.error = fmt::format("cannot open snapshot directory '{}': {}", dest,
                            errno == ELOOP ? "it is a symbolic link" : std::strerror(errno));
    return UniqueFd();
  }
  if (force) return fd;
  if (::fstat(fd.get(), &st) == 0 && st.st_uid != ::geteuid()) {
    out.refused = true;
    out.error = fmt::format("snapshot directory '{}' is owned by uid {}, not by this user (use --force)", dest,
                            st.st_uid);
    return UniqueFd();
  }
  if (existed && !dir_is_empty(fd.get())) {
    out.refused = true;
    out.error = fmt::format("snapshot directory '{}' exists and is not empty (use --force)", dest);
    return UniqueFd();
  }
  return fd;
}

/// Opens the directory `parts[0..n)` below `top`, creating what is missing; never
/// follows a link. Returns the fd or -1 with `error` set.
UniqueFd open_dirs(int top, const std::vector<std::string>& parts, size_t n, const std::string& dest,
                   std::string& error) {
  UniqueFd cur(::fcntl(top, F_DUPFD_CLOEXEC, 0));
  std::string shown = dest;
  for (size_t i = 0; i < n && cur.ok(); ++i) {
    shown = join_path(shown, parts[i]);
    if (::mkdirat(cur.get(), parts[i].c_str(), 0755) != 0 && errno != EEXIST) {
      error = fmt::format("cannot create '{}': {}", shown, std::strerror(errno));
      return UniqueFd();
    }
    UniqueFd next(::openat(cur.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.ok()) {
      error = fmt::format("cannot write into '{}': {}", shown,
                          errno == ELOOP || errno == ENOTDIR ? "not a directory (a symbolic link is never followed)"
                                                             : std::strerror(errno));
      return UniqueFd();
    }
    cur = std::move(next);
  }
  return cur;
}

/// Writes one entry of the tree ("/proc/self/status", or "/sys/x/" for a directory).
std::string write_entry(int top, const std::string& dest, const std::string& path, const std::string* content,
                        bool force) {
  const auto normalized = normalize_path(path);
  if (normalized.empty()) return fmt::format("refusing to write '{}': it climbs above the snapshot", path);
  std::vector<std::string> parts;
  for (const auto p : split(normalized, '/')) {
    if (!p.empty()) parts.emplace_back(p);
  }
  if (parts.empty()) return "";
  std::string error;
  const size_t dirs = content ? parts.size() - 1 : parts.size();
  const auto dir = open_dirs(top, parts, dirs, dest, error);
  if (!dir.ok() || !content) return error;
  const auto& name = parts.back();
  const auto shown = join_path(dest, normalized);
  if (force && ::unlinkat(dir.get(), name.c_str(), 0) != 0 && errno != ENOENT) {
    return fmt::format("cannot replace '{}': {}", shown, std::strerror(errno));
  }
  UniqueFd f(::openat(dir.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!f.ok()) {
    return fmt::format("cannot write '{}': {}", shown,
                       errno == EEXIST ? "it already exists (something was put there during the copy)"
                                       : std::strerror(errno));
  }
  if (write_all(f.get(), *content) != 0 || ::close(f.release()) != 0) {
    return fmt::format("cannot write '{}': {}", shown, std::strerror(errno));
  }
  return "";
}

}  // namespace

SnapshotWrite write_snapshot(const FsReader& source, const std::vector<std::string>& paths,
                             const std::map<std::string, std::string>& extra_files, const std::string& dest_dir,
                             bool force) {
  SnapshotWrite out;
  const auto top = open_target(dest_dir, force, out);
  if (!top.ok()) return out;
  const std::set<std::string> unique(paths.begin(), paths.end());
  for (const auto& p : unique) {
    if (extra_files.count(p)) continue;
    const bool is_dir = !p.empty() && p.back() == '/';
    std::string content;
    if (!is_dir) {
      const auto f = source.read(p);
      if (!f.ok()) continue;  // vanished since it was read: the snapshot just lacks it
      content = f.text;
    }
    out.error = write_entry(top.get(), dest_dir, p, is_dir ? nullptr : &content, force);
    if (!out.ok()) return out;
    out.files += is_dir ? 0 : 1;
  }
  for (const auto& [p, content] : extra_files) {
    out.error = write_entry(top.get(), dest_dir, p, &content, force);
    if (!out.ok()) return out;
    ++out.files;
  }
  return out;
}

}  // namespace torchdiag
