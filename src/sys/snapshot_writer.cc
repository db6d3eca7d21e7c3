#include "sys/snapshot_writer.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

namespace torchdiag {
namespace {

namespace fs = std::filesystem;

std::string make_dirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  return ec ? "cannot create '" + dir + "': " + ec.message() : "";
}

std::string write_file(const std::string& path, const std::string& content) {
  if (auto err = make_dirs(parent_path(path)); !err.empty()) return err;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return "cannot write '" + path + "': " + std::strerror(errno);
  f << content;
  return f ? "" : "cannot write '" + path + "'";
}

}  // namespace

std::string write_snapshot(const FsReader& source, const std::vector<std::string>& paths,
                           const std::map<std::string, std::string>& extra_files,
                           const std::string& dest_dir) {
  if (auto err = make_dirs(dest_dir); !err.empty()) return err;
  const std::set<std::string> unique(paths.begin(), paths.end());
  for (const auto& p : unique) {
    if (extra_files.count(p)) continue;
    const auto target = join_path(dest_dir, p);
    if (!p.empty() && p.back() == '/') {
      if (auto err = make_dirs(target); !err.empty()) return err;
      continue;
    }
    const auto f = source.read(p);
    if (!f.ok()) continue;  // vanished since it was read: the snapshot just lacks it
    if (auto err = write_file(target, f.text); !err.empty()) return err;
  }
  for (const auto& [p, content] : extra_files) {
    if (auto err = write_file(join_path(dest_dir, p), content); !err.empty()) return err;
  }
  return "";
}

}  // namespace torchdiag
