// The snapshot writer runs as root into a directory anyone may have prepared: it must
// never write through a symbolic link.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sys/snapshot_writer.h"
#include "unit/probe/temp_tree.h"

using namespace torchdiag;
using torchdiag::testing::TempTree;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Source {
  TempTree tree;
  Source() {
    tree.write("proc/self/status", "Cpus_allowed_list:\t0-1\n");
    tree.write("proc/self/cgroup", "0::/\n");
  }
  FsReader reader() const { return FsReader(tree.root()); }
  std::vector<std::string> paths() const { return {"/proc/self/status", "/proc/self/cgroup", "/sys/fs/cgroup/"}; }
};

}  // namespace

TEST_CASE("snapshot into a fresh directory copies what was read", "[sys][snapshot]") {
  Source src;
  TempTree out;
  const auto dest = out.root() + "/snap";
  const auto w = write_snapshot(src.reader(), src.paths(), {{"/manifest.json", "{}"}}, dest, false);
  REQUIRE(w.ok());
  CHECK(w.files == 3);
  CHECK(slurp(dest + "/proc/self/status") == "Cpus_allowed_list:\t0-1\n");
  CHECK(fs::is_directory(dest + "/sys/fs/cgroup"));
  CHECK(slurp(dest + "/manifest.json") == "{}");
}

TEST_CASE("snapshot --force replaces a planted file link instead of writing through it", "[sys][snapshot]") {
  Source src;
  TempTree out;
  out.write("victim", "untouched");
  out.mkdir("snap/proc/self");
  fs::create_symlink(out.root() + "/victim", out.root() + "/snap/proc/self/status");
  const auto w = write_snapshot(src.reader(), src.paths(), {}, out.root() + "/snap", true);
  REQUIRE(w.ok());
  CHECK(slurp(out.root() + "/victim") == "untouched");
  CHECK_FALSE(fs::is_symlink(out.root() + "/snap/proc/self/status"));
  CHECK(slurp(out.root() + "/snap/proc/self/status") == "Cpus_allowed_list:\t0-1\n");
}

TEST_CASE("a planted directory link stops the copy, even with --force", "[sys][snapshot]") {
  Source src;
  TempTree out;
  out.mkdir("elsewhere");
  out.mkdir("snap");
  fs::create_directory_symlink(out.root() + "/elsewhere", out.root() + "/snap/proc");
  const auto w = write_snapshot(src.reader(), src.paths(), {}, out.root() + "/snap", true);
  CHECK_FALSE(w.ok());
  CHECK(w.error.find("a symbolic link is never followed") != std::string::npos);
  CHECK(fs::is_empty(out.root() + "/elsewhere"));
}

TEST_CASE("without --force a non-empty, linked or foreign target is refused", "[sys][snapshot]") {
  Source src;
  TempTree out;
  SECTION("not empty") {
    out.write("snap/old", "x");
    const auto w = write_snapshot(src.reader(), src.paths(), {}, out.root() + "/snap", false);
    CHECK(w.refused);
    CHECK(w.error.find("not empty") != std::string::npos);
  }
  SECTION("a symbolic link") {
    out.mkdir("real");
    fs::create_directory_symlink(out.root() + "/real", out.root() + "/snap");
    const auto w = write_snapshot(src.reader(), src.paths(), {}, out.root() + "/snap", false);
    CHECK(w.refused);
    CHECK(w.error.find("symbolic link") != std::string::npos);
    CHECK(fs::is_empty(out.root() + "/real"));
    CHECK(write_snapshot(src.reader(), src.paths(), {}, out.root() + "/snap", true).ok());
    CHECK(fs::exists(out.root() + "/real/proc/self/status"));
  }
  if (::geteuid() == 0) {
    SECTION("owned by another user") {
      out.mkdir("snap");
      REQUIRE(::chown((out.root() + "/snap").c_str(), 65534, 65534) == 0);
      const auto w = write_snapshot(src.reader(), src.paths(), {}, out.root() + "/snap", false);
      CHECK(w.refused);
      CHECK(w.error.find("owned by uid 65534") != std::string::npos);
    }
  }
}

TEST_CASE("a recorded path that climbs out of the snapshot is refused", "[sys][snapshot]") {
  Source src;
  TempTree out;
  const auto w = write_snapshot(src.reader(), {}, {{"/../escaped", "x"}}, out.root() + "/snap", false);
  CHECK_FALSE(w.ok());
  CHECK_FALSE(fs::exists(out.root() + "/escaped"));
}
