#pragma once
// Rooted, read-only file access. Every /proc and /sys read in torchdiag goes through
// an FsReader so that `--root DIR` can point all probes at a captured snapshot.
//
// A snapshot is untrusted input (torchdiag runs as root; the tree may come from
// anywhere), so a path never leaves the root: every component is opened with
// O_NOFOLLOW relative to its parent directory, a symbolic link's target is resolved
// the same way (an absolute target from the root, as in a chroot), and ".." that
// would climb above the root fails with "escapes the root". Only regular files are
// read (the kernel's /proc and /sys files are regular files): a FIFO or a device
// node is refused without being opened for reading.
#include <string>
#include <string_view>
#include <vector>

namespace torchdiag {

/// Contents of a file, or the reason it could not be read.
struct FileRead {
  std::string text;
  std::string error;  ///< e.g. "No such file or directory", "escapes the root"
  int errno_value = 0;
  bool ok() const { return error.empty(); }
};

class FsReader {
 public:
  /// The live system. This is the only place the real root is named.
  static constexpr const char* kLiveRoot = "/";
  /// Files larger than this are refused ("larger than the read cap"), never cut.
  static constexpr size_t kMaxFileBytes = 16u << 20;

  explicit FsReader(std::string root = kLiveRoot);

  /// Reads a whole regular file. `path` is absolute ("/proc/self/cgroup") or relative
  /// to the root; both resolve under the root.
  FileRead read(std::string_view path) const;
  bool exists(std::string_view path) const;
  bool is_dir(std::string_view path) const;
  /// Names in a directory (no "." or ".."), sorted; empty when unreadable.
  std::vector<std::string> list_dir(std::string_view path) const;

  const std::string& root() const { return root_; }
  /// True when reading the machine this process runs on (root is "/").
  bool is_live() const { return live_; }

  /// When set, every successfully read file path (absolute, relative to the root,
  /// lexically normalised) is appended, and every directory found by is_dir/list_dir
  /// with a trailing '/'; `torchdiag snapshot` uses this to copy exactly what inspect
  /// reads.
  void record_reads_into(std::vector<std::string>* log) { log_ = log; }

 private:
  void record(const std::string& normalized, bool dir) const;

  std::string root_;
  bool live_ = true;
  std::vector<std::string>* log_ = nullptr;
};

/// The components of `path` with "." and ".." folded, as an absolute path ("/a/b");
/// "" when ".." climbs above "/".
std::string normalize_path(std::string_view path);

/// "/a/b/c" -> "/a/b"; "/" stays "/".
std::string parent_path(std::string_view path);

/// Joins "dir" and "name" with exactly one slash.
std::string join_path(std::string_view dir, std::string_view name);

}  // namespace torchdiag
