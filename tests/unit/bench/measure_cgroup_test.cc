// plan_measure_cgroup on mountinfo and /proc/self/cgroup text, and MeasureCgroup on a
// plain temporary directory (creation, undo after a failed write, removal).
#include "bench/measure_cgroup.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "unit/probe/temp_tree.h"

using namespace torchdiag;
using torchdiag::testing::TempTree;

namespace {

using Files = std::vector<std::pair<std::string, std::string>>;

// This machine's layout: v1 controllers each on its own mount, plus an empty unified
// hierarchy (hybrid).
const std::string kHybridMountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
const std::string kHybridCgroup =
    "9:name=systemd:/\n4:memory:/process_api/9fce\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

const std::string kV2Mountinfo =
    "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";

/// A read_file over a fixed table; anything else cannot be read.
CgroupFileReader reader(std::map<std::string, std::string> files) {
  return [files = std::move(files)](const std::string& path) -> std::optional<std::string> {
    const auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
}

CgroupLimits limits(std::optional<double> cpus, std::optional<std::string> cpuset,
                    std::optional<int64_t> memory_bytes = std::nullopt) {
  return CgroupLimits{cpus, std::move(cpuset), memory_bytes};
}

const auto kV1Files =
    reader({{"/sys/fs/cgroup/cpuset/cpuset.mems", "0\n"}, {"/sys/fs/cgroup/cpuset/cpuset.cpus", "0-3\n"}});

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("v1 with separate cpu and cpuset mounts: one directory each", "[bench][measure-cgroup]") {
  const auto plan = plan_measure_cgroup(kHybridMountinfo, kHybridCgroup, limits(0.5, "0"), "t", kV1Files);
  INFO(plan.error);
  REQUIRE(plan.ok());
  CHECK(plan.version == "v1");
  REQUIRE(plan.dirs.size() == 2);
  CHECK(plan.dirs[0].path == "/sys/fs/cgroup/cpu/t");
  CHECK(plan.dirs[0].create);
  CHECK(plan.dirs[0].files == Files{{"cpu.cfs_period_us", "100000"}, {"cpu.cfs_quota_us", "50000"}});
  CHECK(plan.dirs[1].path == "/sys/fs/cgroup/cpuset/t");
  CHECK(plan.dirs[1].files == Files{{"cpuset.cpus", "0"}, {"cpuset.mems", "0"}});
  CHECK(plan.description == "cgroup v1 cpu:/t (quota 0.50 CPUs), cpuset:/t (CPUs 0)");
}

TEST_CASE("v1 touches only the hierarchies of the limits asked for", "[bench][measure-cgroup]") {
  SECTION("quota only") {
    const auto plan = plan_measure_cgroup(kHybridMountinfo, kHybridCgroup, limits(2.0, std::nullopt), "t", reader({}));
    REQUIRE(plan.ok());
    REQUIRE(plan.dirs.size() == 1);
    CHECK(plan.dirs[0].path == "/sys/fs/cgroup/cpu/t");
    CHECK(plan.description == "cgroup v1 cpu:/t (quota 2.00 CPUs)");
  }
  SECTION("memory in this process's nested memory cgroup") {
    const auto plan = plan_measure_cgroup(kHybridMountinfo, kHybridCgroup,
                                          limits(std::nullopt, std::nullopt, int64_t{512} << 20), "t", reader({}));
    REQUIRE(plan.ok());
    REQUIRE(plan.dirs.size() == 1);
    CHECK(plan.dirs[0].path == "/sys/fs/cgroup/memory/process_api/9fce/t");
    CHECK(plan.dirs[0].files == Files{{"memory.limit_in_bytes", "536870912"}});
    CHECK(plan.description == "cgroup v1 memory:/process_api/9fce/t (memory limit 512 MiB)");
  }
  SECTION("nothing asked for") {
    const auto plan =
        plan_measure_cgroup(kHybridMountinfo, kHybridCgroup, limits(std::nullopt, std::nullopt), "t", reader({}));
    CHECK(plan.error == "no limits asked for");
    CHECK(plan.dirs.empty());
  }
}

TEST_CASE("v1 quota is rounded to whole microseconds and at least 1000", "[bench][measure-cgroup]") {
  const std::vector<std::pair<double, std::string>> cases = {
      {0.001, "1000"}, {0.0001, "1000"}, {0.01, "1000"}, {1.234567, "123457"}, {4, "400000"}};
  for (const auto& [cpus, quota] : cases) {
    INFO(cpus);
    const auto plan = plan_measure_cgroup(kHybridMountinfo, kHybridCgroup, limits(cpus, std::nullopt), "t", reader({}));
    REQUIRE(plan.ok());
    REQUIRE(plan.dirs.size() == 1);
    CHECK(plan.dirs[0].files.back() == std::make_pair(std::string("cpu.cfs_quota_us"), quota));
  }
}

TEST_CASE("v1 co-mounted controllers share one directory", "[bench][measure-cgroup]") {
  SECTION("cpu,cpuacct") {
    const std::string mi = "31 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n";
    const auto plan = plan_measure_cgroup(mi, "4:cpu,cpuacct:/\n0::/\n", limits(1.5, std::nullopt), "t", reader({}));
    REQUIRE(plan.ok());
    REQUIRE(plan.dirs.size() == 1);
    CHECK(plan.dirs[0].path == "/sys/fs/cgroup/cpu,cpuacct/t");
    CHECK(plan.dirs[0].files == Files{{"cpu.cfs_period_us", "100000"}, {"cpu.cfs_quota_us", "150000"}});
    CHECK(plan.description == "cgroup v1 cpu:/t (quota 1.50 CPUs)");
  }
  SECTION("cpu and cpuset in one hierarchy") {
    const std::string mi = "31 25 0:27 / /sys/fs/cgroup/cpu,cpuset rw - cgroup cgroup rw,cpu,cpuset\n";
    const auto plan = plan_measure_cgroup(mi, "3:cpu,cpuset:/\n", limits(0.5, "1"), "t",
                                          reader({{"/sys/fs/cgroup/cpu,cpuset/cpuset.mems", "0-1"}}));
    INFO(plan.error);
    REQUIRE(plan.ok());
    REQUIRE(plan.dirs.size() == 1);
    CHECK(plan.dirs[0].files == Files{{"cpu.cfs_period_us", "100000"},
                                      {"cpu.cfs_quota_us", "50000"},
                                      {"cpuset.cpus", "1"},
                                      {"cpuset.mems", "0-1"}});
    CHECK(plan.description == "cgroup v1 cpu,cpuset:/t (quota 0.50 CPUs, CPUs 1)");
  }
}

TEST_CASE("v1 nested own cgroup: the new one is its child", "[bench][measure-cgroup]") {
  const std::string cg = "4:cpu,cpuacct:/docker/abc\n3:cpuset:/docker/abc\n";
  SECTION("the host's view: the hierarchy's root is mounted") {
    const std::string mi =
        "31 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "32 25 0:28 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n";
    const auto plan = plan_measure_cgroup(mi, cg, limits(0.5, "0-1"), "t",
                                          reader({{"/sys/fs/cgroup/cpuset/docker/abc/cpuset.mems", "0\n"}}));
    INFO(plan.error);
    REQUIRE(plan.ok());
    REQUIRE(plan.dirs.size() == 2);
    CHECK(plan.dirs[0].path == "/sys/fs/cgroup/cpu,cpuacct/docker/abc/t");
    CHECK(plan.dirs[1].path == "/sys/fs/cgroup/cpuset/docker/abc/t");
    CHECK(plan.description == "cgroup v1 cpu:/docker/abc/t (quota 0.50 CPUs), cpuset:/docker/abc/t (CPUs 0-1)");
  }
  SECTION("inside the container: its own cgroup is mounted at the mount point") {
    const std::string mi =
        "31 25 0:27 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct\n"
        "32 25 0:28 /docker/abc /sys/fs/cgroup/cpuset ro - cgroup cgroup rw,cpuset\n";
    const auto plan =
        plan_measure_cgroup(mi, cg, limits(0.5, "0-1"), "t", reader({{"/sys/fs/cgroup/cpuset/cpuset.mems", "0\n"}}));
    INFO(plan.error);
    REQUIRE(plan.ok());
    REQUIRE(plan.dirs.size() == 2);
    CHECK(plan.dirs[0].path == "/sys/fs/cgroup/cpu,cpuacct/t");
    CHECK(plan.dirs[1].path == "/sys/fs/cgroup/cpuset/t");
  }
  SECTION("a path outside the mount's root or climbing with '..' is refused") {
    const std::string mi = "31 25 0:27 /docker/abc /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
    for (const char* path : {"/docker/other", "/docker/abc/../../x", "/docker/abcd"}) {
      INFO(path);
      const auto plan =
          plan_measure_cgroup(mi, std::string("1:cpu:") + path + "\n", limits(1, std::nullopt), "t", reader({}));
      CHECK_FALSE(plan.ok());
      CHECK(plan.dirs.empty());
    }
  }
}

TEST_CASE("v1 cpuset needs the parent's memory nodes and CPUs", "[bench][measure-cgroup]") {
  SECTION("cpuset.mems unreadable") {
    const auto plan = plan_measure_cgroup(kHybridMountinfo, kHybridCgroup, limits(std::nullopt, "0"), "t", reader({}));
    CHECK(plan.error == "cannot read /sys/fs/cgroup/cpuset/cpuset.mems");
    CHECK(plan.dirs.empty());
  }
  SECTION("cpuset.mems empty or garbage") {
    for (const auto& mems : std::vector<std::string>{"", "\n", "zz", std::string(100000, '7')}) {
      const auto plan = plan_measure_cgroup(kHybridMountinfo, kHybridCgroup, limits(std::nullopt, "0"), "t",
                                            reader({{"/sys/fs/cgroup/cpuset/cpuset.mems", mems}}));
      INFO(plan.error);
      CHECK(contains(plan.error, "holds no memory node list"));
      CHECK(plan.error.size() < 200);
    }
  }
  SECTION("CPUs outside the parent's cpuset") {
    const auto plan = plan_measure_cgroup(kHybridMountinfo, kHybridCgroup, limits(std::nullopt, "2-5"), "t", kV1Files);
    CHECK(plan.error == "CPUs 2-5 are not all in this process's cpuset 0-3 (/sys/fs/cgroup/cpuset/cpuset.cpus)");
  }
}

TEST_CASE("v2 only: one directory, controllers enabled in the parent first", "[bench][measure-cgroup]") {
  std::map<std::string, std::string> files = {{"/sys/fs/cgroup/app/cgroup.controllers", "cpuset cpu io memory pids\n"},
                                              {"/sys/fs/cgroup/app/cgroup.subtree_control", "\n"},
                                              {"/sys/fs/cgroup/app/cpuset.cpus.effective", "0-3\n"}};
  const auto asked = limits(0.5, "0-1", int64_t{512} << 20);
  SECTION("none enabled yet") {
    const auto plan = plan_measure_cgroup(kV2Mountinfo, "0::/app\n", asked, "t", reader(files));
    INFO(plan.error);
    REQUIRE(plan.ok());
    CHECK(plan.version == "v2");
    REQUIRE(plan.dirs.size() == 2);
    CHECK(plan.dirs[0].path == "/sys/fs/cgroup/app");
    CHECK_FALSE(plan.dirs[0].create);
    CHECK(plan.dirs[0].files == Files{{"cgroup.subtree_control", "+cpu +cpuset +memory"}});
    CHECK(plan.dirs[1].path == "/sys/fs/cgroup/app/t");
    CHECK(plan.dirs[1].create);
    CHECK(plan.dirs[1].files ==
          Files{{"cpu.max", "50000 100000"}, {"cpuset.cpus", "0-1"}, {"memory.max", "536870912"}});
    CHECK(plan.description == "cgroup v2 /app/t (quota 0.50 CPUs, CPUs 0-1, memory limit 512 MiB)");
  }
  SECTION("some already enabled") {
    files["/sys/fs/cgroup/app/cgroup.subtree_control"] = "cpu memory\n";
    const auto plan = plan_measure_cgroup(kV2Mountinfo, "0::/app\n", asked, "t", reader(files));
    REQUIRE(plan.ok());
    REQUIRE(plan.dirs.size() == 2);
    CHECK(plan.dirs[0].files == Files{{"cgroup.subtree_control", "+cpuset"}});
  }
  SECTION("all enabled: only the new directory") {
    files["/sys/fs/cgroup/app/cgroup.subtree_control"] = "cpuset cpu memory\n";
    const auto plan = plan_measure_cgroup(kV2Mountinfo, "0::/app\n", asked, "t", reader(files));
    REQUIRE(plan.ok());
    REQUIRE(plan.dirs.size() == 1);
    CHECK(plan.dirs[0].path == "/sys/fs/cgroup/app/t");
  }
  SECTION("CPUs beyond the parent's effective cpuset") {
    const auto plan = plan_measure_cgroup(kV2Mountinfo, "0::/app\n", limits(std::nullopt, "4"), "t", reader(files));
    CHECK(contains(plan.error, "CPUs 4 are not all in this process's cpuset 0-3"));
  }
}

TEST_CASE("v2 without the cpuset controller is an error", "[bench][measure-cgroup]") {
  const auto files = reader({{"/sys/fs/cgroup/app/cgroup.controllers", "cpu io memory pids\n"}});
  const auto plan = plan_measure_cgroup(kV2Mountinfo, "0::/app\n", limits(0.5, "0"), "t", files);
  CHECK(plan.error ==
        "no cgroup v1 cpuset hierarchy, and cgroup v2 does not offer the cpuset controller here "
        "(/sys/fs/cgroup/app/cgroup.controllers lists 'cpu io memory pids')");
  CHECK(plan.dirs.empty());
  CHECK(plan.version.empty());
  const auto unreadable = plan_measure_cgroup(kV2Mountinfo, "0::/app\n", limits(0.5, "0"), "t", reader({}));
  CHECK(unreadable.error == "cannot read /sys/fs/cgroup/app/cgroup.controllers");
}

TEST_CASE("no cgroup mounts is an error", "[bench][measure-cgroup]") {
  const std::string mi = "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n";
  const auto plan = plan_measure_cgroup(mi, "0::/\n", limits(0.5, "0"), "t", reader({}));
  CHECK(plan.error == "no cgroup v1 cpu/cpuset hierarchy or cgroup v2 mount for this process here");
  CHECK(plan.dirs.empty());
}

TEST_CASE("hybrid: the v1 hierarchies win over the empty unified one", "[bench][measure-cgroup]") {
  const auto plan = plan_measure_cgroup(kHybridMountinfo, kHybridCgroup, limits(0.5, "0"), "t", kV1Files);
  REQUIRE(plan.ok());
  CHECK(plan.version == "v1");
  for (const auto& dir : plan.dirs) CHECK_FALSE(contains(dir.path, "unified"));
  SECTION("a limit whose controller is on neither: mixing is refused") {
    const std::string mi =
        "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
    const auto mixed = plan_measure_cgroup(mi, "1:cpu:/\n0::/\n", limits(0.5, std::nullopt, 1 << 30), "t", reader({}));
    CHECK(contains(mixed.error, "no cgroup v1 hierarchy with the memory controller"));
    CHECK(mixed.dirs.empty());
  }
}

TEST_CASE("garbage input gives an error, never a crash", "[bench][measure-cgroup]") {
  std::string binary;
  for (int i = 0; i < 4096; ++i) binary += static_cast<char>((i * 131) % 256);
  const std::vector<std::string> texts = {
      "",         "\n\n",       "garbage",   std::string(1 << 20, 'x'),      binary,
      "1:cpu:\n", ":::\n0::\n", "x:cpu:/\n", "99999999999999999999:cpu:/\n", kHybridCgroup};
  for (const auto& mi : {texts[0], texts[2], texts[3], texts[4], kHybridMountinfo}) {
    for (const auto& cg : texts) {
      const auto plan = plan_measure_cgroup(mi, cg, limits(0.5, "0"), "t", reader({}));
      CHECK_FALSE(plan.ok());
      CHECK(plan.dirs.empty());
    }
  }
  SECTION("bad limits and names") {
    const auto files = kV1Files;
    CHECK_FALSE(plan_measure_cgroup(kHybridMountinfo, kHybridCgroup, limits(0, std::nullopt), "t", files).ok());
    CHECK_FALSE(plan_measure_cgroup(kHybridMountinfo, kHybridCgroup, limits(-1, std::nullopt), "t", files).ok());
    CHECK_FALSE(plan_measure_cgroup(kHybridMountinfo, kHybridCgroup, limits(1e300, std::nullopt), "t", files).ok());
    CHECK_FALSE(plan_measure_cgroup(kHybridMountinfo, kHybridCgroup, limits(std::nullopt, "x"), "t", files).ok());
    CHECK_FALSE(plan_measure_cgroup(kHybridMountinfo, kHybridCgroup, limits(std::nullopt, ""), "t", files).ok());
    CHECK_FALSE(
        plan_measure_cgroup(kHybridMountinfo, kHybridCgroup, limits(std::nullopt, std::nullopt, 0), "t", files).ok());
    for (const auto& name :
         std::vector<std::string>{"", ".", "..", "a/b", std::string("a\0b", 3), std::string(300, 'n')}) {
      CHECK_FALSE(plan_measure_cgroup(kHybridMountinfo, kHybridCgroup, limits(1, std::nullopt), name, files).ok());
    }
  }
  SECTION("a controller list of any length is quoted short and printable") {
    const auto plan = plan_measure_cgroup(kV2Mountinfo, "0::/\n", limits(1, std::nullopt), "t",
                                          reader({{"/sys/fs/cgroup/cgroup.controllers", "io\x1b[31m" + binary}}));
    CHECK_FALSE(plan.ok());
    CHECK(plan.error.size() < 300);
    CHECK(plan.error.find('\x1b') == std::string::npos);
  }
}

TEST_CASE("MeasureCgroup creates, undoes a failed plan and removes", "[bench][measure-cgroup]") {
  TempTree tree;
  REQUIRE(tree.ok());
  const auto a = tree.root() + "/a";
  const auto b = tree.root() + "/b";
  struct stat st {};
  SECTION("a plan that works: created, then removed") {
    CgroupPlan plan;
    plan.dirs = {{a, {}, true}, {b, {}, true}};
    plan.description = "two";
    auto cg = MeasureCgroup::create_from_plan(plan);
    REQUIRE(cg->ok());
    CHECK(cg->describe() == "two");
    CHECK(cg->procs_files() == std::vector<std::string>{a + "/cgroup.procs", b + "/cgroup.procs"});
    CHECK(::stat(a.c_str(), &st) == 0);
    CHECK(cg->remove() == "");
    CHECK(::stat(a.c_str(), &st) != 0);
    CHECK(::stat(b.c_str(), &st) != 0);
    CHECK(cg->remove() == "");
  }
  SECTION("a write that fails undoes what was created") {
    CgroupPlan plan;
    plan.dirs = {{a, {}, true}, {b, {{"cpu.max", "1 2"}}, true}};
    const auto cg = MeasureCgroup::create_from_plan(plan);
    CHECK_FALSE(cg->ok());
    CHECK(cg->why() == "write '1 2' to " + b + "/cpu.max: No such file or directory");
    CHECK(cg->procs_files().empty());
    CHECK(cg->created_dirs().empty());
    CHECK(::stat(a.c_str(), &st) != 0);
    CHECK(::stat(b.c_str(), &st) != 0);
  }
  SECTION("a plan with an error creates nothing") {
    CgroupPlan plan;
    plan.error = "no cgroup here";
    plan.dirs = {{a, {}, true}};
    const auto cg = MeasureCgroup::create_from_plan(plan);
    CHECK(cg->why() == "no cgroup here");
    CHECK(::stat(a.c_str(), &st) != 0);
  }
  SECTION("mkdir failing is reported") {
    CgroupPlan plan;
    plan.dirs = {{tree.root() + "/missing/x", {}, true}};
    const auto cg = MeasureCgroup::create_from_plan(plan);
    CHECK(cg->why() == "mkdir " + tree.root() + "/missing/x: No such file or directory");
  }
}

TEST_CASE("MeasureCgroup removes the empty cgroups of torchdiags that died, not of live ones", "[bench][measure-cgroup]") {
  TempTree tree;
  REQUIRE(tree.ok());
  // A pid above any pid_max (2^22) never runs; pid 1 always does.
  const auto dead = tree.root() + "/torchdiag-measure-999999999";
  const auto dead_second = tree.root() + "/torchdiag-measure-999999999-2";
  const auto alive = tree.root() + "/torchdiag-measure-1";
  const auto other = tree.root() + "/someone-else-999999999";
  for (const auto& d : {dead, dead_second, alive, other}) REQUIRE(::mkdir(d.c_str(), 0755) == 0);
  CgroupPlan plan;
  plan.dirs = {{tree.root() + "/torchdiag-measure-new", {}, true}};
  const auto cg = MeasureCgroup::create_from_plan(plan);
  REQUIRE(cg->ok());
  struct stat st {};
  CHECK(::stat(dead.c_str(), &st) != 0);
  CHECK(::stat(dead_second.c_str(), &st) != 0);
  CHECK(::stat(alive.c_str(), &st) == 0);
  CHECK(::stat(other.c_str(), &st) == 0);
}

TEST_CASE("join_measure_cgroup refuses pid 0 and an empty list", "[bench][measure-cgroup]") {
  CHECK(join_measure_cgroup({"/nonexistent/cgroup.procs"}, 0) != "");
  CHECK(join_measure_cgroup({}, 123) == "no cgroup to join");
  CHECK(join_measure_cgroup({"/nonexistent/cgroup.procs"}, 123) ==
        "write '123' to /nonexistent/cgroup.procs: No such file or directory");
}
