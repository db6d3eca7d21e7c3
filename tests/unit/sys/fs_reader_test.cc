// The rooted reader treats a snapshot as hostile: nothing outside the root is ever
// read, whatever links, "..", FIFOs, devices or huge files the tree holds.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "sys/fs_reader.h"
#include "unit/probe/temp_tree.h"

using torchdiag::FsReader;
using torchdiag::testing::TempTree;

namespace {

constexpr const char* kSecret = "SECRET-OUTSIDE-THE-ROOT";

/// A root and, beside it, a directory whose file must never be read through the root.
struct Scene {
  TempTree outside;
  TempTree root;
  std::string secret_path;
  Scene() {
    outside.write("secret", kSecret);
    secret_path = outside.root() + "/secret";
    root.write("proc/self/cgroup", "0::/\n");
  }
  void link(const std::string& at, const std::string& target) const {
    const auto where = std::filesystem::path(root.root()) / at;
    std::filesystem::create_directories(where.parent_path());
    REQUIRE(::symlink(target.c_str(), where.c_str()) == 0);
  }
  /// "../../..": enough ".." to climb from `at`'s directory to the root's parent.
  std::string dots_to_parent_of_root(const std::string& at) const {
    std::string up = "..";
    for (char c : at) up += c == '/' ? "/.." : "";
    return up;
  }
};

}  // namespace

TEST_CASE("a link that points outside the root never reads outside it", "[sys][fs_reader]") {
  Scene s;
  REQUIRE((s.root.ok() && s.outside.ok()));
  SECTION("absolute target: resolved from the root, as in a chroot") {
    s.link("proc/self/status", s.secret_path);
    const auto f = FsReader(s.root.root()).read("/proc/self/status");
    CHECK_FALSE(f.ok());
    CHECK(f.text.find(kSecret) == std::string::npos);
    CHECK(f.error == "No such file or directory");
  }
  SECTION("relative target climbing with ..") {
    const auto outside_name = std::filesystem::path(s.outside.root()).filename().string();
    s.link("proc/self/status", s.dots_to_parent_of_root("proc/self/status") + "/" + outside_name + "/secret");
    const auto f = FsReader(s.root.root()).read("/proc/self/status");
    CHECK_FALSE(f.ok());
    CHECK(f.error == "escapes the root");
    CHECK(f.text.empty());
  }
  SECTION("a linked directory on the way") {
    s.link("sys/fs/cgroup", s.outside.root());
    const auto f = FsReader(s.root.root()).read("/sys/fs/cgroup/secret");
    CHECK_FALSE(f.ok());
    CHECK(f.text.empty());
  }
  SECTION("a requested path with .. above the root") {
    const auto outside_name = std::filesystem::path(s.outside.root()).filename().string();
    const FsReader fs(s.root.root());
    const auto f = fs.read("/../" + outside_name + "/secret");
    CHECK(f.error == "escapes the root");
    CHECK_FALSE(fs.exists("/../" + outside_name));
    CHECK_FALSE(fs.is_dir("/../" + outside_name));
    CHECK(fs.list_dir("/../" + outside_name).empty());
  }
}

TEST_CASE("links that stay inside the root are followed", "[sys][fs_reader]") {
  TempTree t;
  t.write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "50000\n");
  const auto base = std::filesystem::path(t.root());
  std::filesystem::create_directory_symlink("cpu,cpuacct", base / "sys/fs/cgroup/cpu");
  std::filesystem::create_directory_symlink("/sys/fs/cgroup/cpu,cpuacct", base / "sys/fs/cgroup/cpuacct");
  std::filesystem::create_symlink("../cgroup/cpu,cpuacct/cpu.cfs_quota_us", base / "sys/fs/cgroup/quota-link");
  const FsReader fs(t.root());
  std::vector<std::string> log;
  const_cast<FsReader&>(fs).record_reads_into(&log);
  CHECK(fs.read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").text == "50000\n");
  CHECK(fs.read("/sys/fs/cgroup/cpuacct/cpu.cfs_quota_us").text == "50000\n");
  CHECK(fs.read("sys/fs/cgroup/quota-link").text == "50000\n");
  CHECK(fs.read("/sys/fs/cgroup/cpu/../cpu,cpuacct/./cpu.cfs_quota_us").text == "50000\n");
  CHECK(fs.is_dir("/sys/fs/cgroup/cpu"));
  CHECK(fs.list_dir("/sys/fs/cgroup/cpu") == std::vector<std::string>{"cpu.cfs_quota_us"});
  CHECK(fs.is_dir("/"));
  // The log names what was asked for, normalised, not where a link led.
  CHECK(log.front() == "/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
  CHECK(std::find(log.begin(), log.end(), "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us") != log.end());
}

TEST_CASE("a link loop ends with an error, not a hang", "[sys][fs_reader]") {
  TempTree t;
  t.mkdir("proc/self");
  const auto base = std::filesystem::path(t.root());
  std::filesystem::create_symlink("b", base / "proc/self/a");
  std::filesystem::create_symlink("a", base / "proc/self/b");
  const auto f = FsReader(t.root()).read("/proc/self/a");
  CHECK(f.errno_value == ELOOP);
}

TEST_CASE("FIFOs, devices and directories are not read", "[sys][fs_reader]") {
  TempTree t;
  t.mkdir("proc/self");
  const auto fifo = t.root() + "/proc/self/status";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);  // a read would block forever
  const FsReader fs(t.root());
  auto f = fs.read("/proc/self/status");
  CHECK(f.error == "not a regular file");
  CHECK(fs.read("/proc/self").error == "Is a directory");
  if (::geteuid() == 0) {
    const auto dev = t.root() + "/proc/self/environ";
    REQUIRE(::mknod(dev.c_str(), S_IFCHR | 0600, makedev(1, 5)) == 0);  // /dev/zero: endless bytes
    CHECK(fs.read("/proc/self/environ").error == "not a regular file");
  }
  // A link to a device on the real system resolves inside the root, where there is none.
  std::filesystem::create_symlink("/dev/zero", std::filesystem::path(t.root()) / "proc/self/maps");
  CHECK_FALSE(fs.read("/proc/self/maps").ok());
}

TEST_CASE("a file over the read cap is refused whole, never cut", "[sys][fs_reader]") {
  TempTree t;
  t.write("proc/self/mountinfo", "");
  const auto path = t.root() + "/proc/self/mountinfo";
  REQUIRE(::truncate(path.c_str(), static_cast<off_t>(FsReader::kMaxFileBytes + 1)) == 0);
  const auto f = FsReader(t.root()).read("/proc/self/mountinfo");
  CHECK(f.error == "larger than the read cap of 16 MiB");
  CHECK(f.text.empty());
  REQUIRE(::truncate(path.c_str(), static_cast<off_t>(FsReader::kMaxFileBytes)) == 0);
  CHECK(FsReader(t.root()).read("/proc/self/mountinfo").text.size() == FsReader::kMaxFileBytes);
}

TEST_CASE("the live root reads the kernel's files and follows /proc/self", "[sys][fs_reader]") {
  const FsReader fs;
  const auto f = fs.read("/proc/self/status");
  REQUIRE(f.ok());
  CHECK(f.text.find("Pid:\t" + std::to_string(::getpid())) != std::string::npos);
  CHECK(fs.is_dir("/proc/self/task"));
  CHECK_FALSE(fs.read("/proc/../../proc/self/status").ok());  // ".." above "/" is refused too
}

TEST_CASE("normalize_path folds . and .. and refuses climbing above /", "[sys][fs_reader]") {
  CHECK(torchdiag::normalize_path("/a/./b//c/") == "/a/b/c");
  CHECK(torchdiag::normalize_path("a/b/../c") == "/a/c");
  CHECK(torchdiag::normalize_path("/") == "/");
  CHECK(torchdiag::normalize_path("/a/../..").empty());
  CHECK(torchdiag::normalize_path("/../x").empty());
}
