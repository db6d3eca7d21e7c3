#include "probe/mountinfo.h"

#include <catch2/catch.hpp>

using namespace torchdiag;

TEST_CASE("unescape_mount_field decodes the kernel's octal escapes", "[probe][mountinfo]") {
  struct Row {
    const char* field;
    std::string decoded;
  };
  const Row rows[] = {
      {"/sys/fs/cgroup", "/sys/fs/cgroup"},
      {"/sys/fs/cgroup/my\\040cpu", "/sys/fs/cgroup/my cpu"},
      {"/mnt/a\\011b", "/mnt/a\tb"},
      {"/mnt/a\\012b", "/mnt/a\nb"},
      {"/mnt/back\\134slash", "/mnt/back\\slash"},
      {"\\040lead", " lead"},
      {"trail\\040", "trail "},
      {"\\040\\040", "  "},
      {"/x\\04", "/x\\04"},  // too short to be an escape
      {"/x\\", "/x\\"},
      {"/x\\999", "/x\\999"},  // not octal
      {"/x\\400", "/x\\400"},  // above \377
      {"", ""},
  };
  for (const auto& row : rows) {
    INFO(row.field);
    CHECK(unescape_mount_field(row.field) == row.decoded);
  }
}

TEST_CASE("parse_mountinfo reads fields around the optional-field separator",
          "[probe][mountinfo]") {
  SECTION("no optional fields") {
    const auto mounts = parse_mountinfo(
        "1127 1125 0:33 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime "
        "- cgroup cgroup rw,cpu,cpuacct\n");
    REQUIRE(mounts.size() == 1);
    CHECK(mounts[0].root == "/docker/abc");
    CHECK(mounts[0].mount_point == "/sys/fs/cgroup/cpu,cpuacct");
    CHECK(mounts[0].fstype == "cgroup");
    CHECK(mounts[0].source == "cgroup");
    CHECK(mounts[0].super_options == std::vector<std::string>{"rw", "cpu", "cpuacct"});
  }
  SECTION("several optional fields before the separator") {
    const auto mounts = parse_mountinfo(
        "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 master:2 "
        "propagate_from:1 unbindable - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n");
    REQUIRE(mounts.size() == 1);
    CHECK(mounts[0].root == "/");
    CHECK(mounts[0].mount_point == "/sys/fs/cgroup");
    CHECK(mounts[0].fstype == "cgroup2");
    CHECK(mounts[0].source == "cgroup2");
    CHECK(mounts[0].super_options ==
          std::vector<std::string>{"rw", "nsdelegate", "memory_recursiveprot"});
  }
  SECTION("escaped mount point, root and source") {
    const auto mounts = parse_mountinfo(
        "47 46 0:41 /a\\040dir /sys/fs/cgroup/my\\040cpu rw,relatime shared:21 - cgroup "
        "my\\011src rw,cpu,cpuacct\n"
        "48 40 0:42 / /mnt/x\\012y\\134z rw - tmpfs tmpfs rw\n");
    REQUIRE(mounts.size() == 2);
    CHECK(mounts[0].root == "/a dir");
    CHECK(mounts[0].mount_point == "/sys/fs/cgroup/my cpu");
    CHECK(mounts[0].source == "my\tsrc");
    CHECK(mounts[1].mount_point == "/mnt/x\ny\\z");
  }
  SECTION("a mount without super options") {
    const auto mounts = parse_mountinfo("22 1 0:5 / /dev rw - devtmpfs udev\n");
    REQUIRE(mounts.size() == 1);
    CHECK(mounts[0].fstype == "devtmpfs");
    CHECK(mounts[0].super_options.empty());
  }
  SECTION("lines without a separator or with too few fields are skipped") {
    const auto mounts = parse_mountinfo(
        "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 ext3 /dev/root rw\n"  // no "-"
        "36 35 98:0 /mnt1 /mnt2 rw,noatime - ext3\n"                      // no source
        "36 - 98:0\n"                                                     // "-" too early
        "\n"
        "garbage\n"
        "22 1 0:5 / /dev rw - devtmpfs udev rw,size=10k\n");
    REQUIRE(mounts.size() == 1);
    CHECK(mounts[0].mount_point == "/dev");
  }
  SECTION("the documented example line") {
    const auto mounts = parse_mountinfo(
        "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue");
    REQUIRE(mounts.size() == 1);
    CHECK(mounts[0].root == "/mnt1");
    CHECK(mounts[0].mount_point == "/mnt2");
    CHECK(mounts[0].fstype == "ext3");
    CHECK(mounts[0].source == "/dev/root");
    CHECK(mounts[0].super_options == std::vector<std::string>{"rw", "errors=continue"});
  }
  SECTION("empty text") { CHECK(parse_mountinfo("").empty()); }
}
