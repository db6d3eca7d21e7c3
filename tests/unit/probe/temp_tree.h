#pragma once
// A throw-away directory tree for probe tests that need a layout no fixture has.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace torchdiag::testing {

class TempTree {
 public:
  TempTree() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "torchdiag-test-XXXXXX").string();
    if (::mkdtemp(pattern.data())) root_ = pattern;
  }
  ~TempTree() {
    std::error_code ignored;
    if (!root_.empty()) std::filesystem::remove_all(root_, ignored);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  const std::string& root() const { return root_; }
  bool ok() const { return !root_.empty(); }

  /// Writes `content` to `path` (relative to the root), creating directories.
  void write(const std::string& path, const std::string& content) const {
    const auto target = std::filesystem::path(root_) / path;
    std::filesystem::create_directories(target.parent_path());
    std::ofstream(target, std::ios::binary) << content;
  }
  void mkdir(const std::string& path) const {
    std::filesystem::create_directories(std::filesystem::path(root_) / path);
  }

 private:
  std::string root_;
};

}  // namespace torchdiag::testing
