#include "sys/fs_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace torchdiag {
namespace {

constexpr size_t kMaxFileBytes = 16u << 20;

std::string strip_leading_slashes(std::string_view p) {
  while (!p.empty() && p.front() == '/') p.remove_prefix(1);
  return std::string(p);
}

}  // namespace

FsReader::FsReader(std::string root) : root_(std::move(root)) {
  if (root_.empty()) root_ = kLiveRoot;
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  live_ = root_ == kLiveRoot;
}

std::string FsReader::resolve(std::string_view path) const {
  return join_path(root_, strip_leading_slashes(path));
}

FileRead FsReader::read(std::string_view path) const {
  FileRead out;
  const std::string real = resolve(path);
  const int fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    out.errno_value = errno;
    out.error = std::strerror(errno);
    return out;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    out.errno_value = EISDIR;
    out.error = std::strerror(EISDIR);
    return out;
  }
  char buf[8192];
  while (out.text.size() < kMaxFileBytes) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      out.errno_value = errno;
      out.error = std::strerror(errno);
      out.text.clear();
      break;
    }
    out.text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (out.ok() && log_) log_->push_back("/" + strip_leading_slashes(path));
  return out;
}

bool FsReader::exists(std::string_view path) const {
  struct stat st {};
  return ::stat(resolve(path).c_str(), &st) == 0;
}

bool FsReader::is_dir(std::string_view path) const {
  struct stat st {};
  const bool dir = ::stat(resolve(path).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  if (dir && log_) log_->push_back("/" + strip_leading_slashes(path) + "/");
  return dir;
}

std::vector<std::string> FsReader::list_dir(std::string_view path) const {
  std::vector<std::string> names;
  DIR* dir = ::opendir(resolve(path).c_str());
  if (!dir) return names;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  if (log_) log_->push_back("/" + strip_leading_slashes(path) + "/");
  return names;
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
