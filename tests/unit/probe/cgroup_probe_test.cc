// probe_cgroup on small hand-made trees, for cases the fixture roots do not isolate.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "probe/cgroup.h"
#include "unit/probe/temp_tree.h"

using namespace torchdiag;
using torchdiag::testing::TempTree;

namespace {

const char* kV2Mount =
    "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate\n";
const char* kV1CpuMount =
    "31 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup "
    "cgroup rw,cpu,cpuacct\n";

bool any_warning_contains(const CgroupFacts& cg, const std::string& needle) {
  return std::any_of(cg.warnings.begin(), cg.warnings.end(),
                     [&](const std::string& w) { return w.find(needle) != std::string::npos; });
}

}  // namespace

TEST_CASE("probe_cgroup without /proc files reports why and finds nothing", "[probe][cgroup]") {
  TempTree tree;
  REQUIRE(tree.ok());
  const auto cg = probe_cgroup(FsReader(tree.root()), "/proc/self");
  CHECK_FALSE(cg.version.has_value());
  CHECK_FALSE(cg.quota_cpus.has_value());
  CHECK(cg.mounted_versions.empty());
  CHECK(cg.warnings.size() == 2);
  CHECK(any_warning_contains(cg, "/proc/self/cgroup"));
  CHECK(any_warning_contains(cg, "/proc/self/mountinfo"));
  CHECK_FALSE(cg.weight.ok());
  CHECK_FALSE(cg.cpu_stat.ok());
  CHECK_FALSE(cg.cpuset.ok());
  CHECK_FALSE(cg.weight.reason.empty());
}

TEST_CASE("probe_cgroup reads the /proc directory it is given", "[probe][cgroup]") {
  TempTree tree;
  REQUIRE(tree.ok());
  tree.write("proc/42/cgroup", "0::/app\n");
  tree.write("proc/42/mountinfo", kV2Mount);
  tree.write("proc/self/cgroup", "0::/other\n");
  tree.write("proc/self/mountinfo", kV2Mount);
  tree.write("sys/fs/cgroup/app/cpu.max", "300000 100000\n");
  tree.write("sys/fs/cgroup/other/cpu.max", "100000 100000\n");
  const FsReader fs(tree.root());
  const auto cg = probe_cgroup(fs, "/proc/42");
  REQUIRE(cg.quota_cpus.has_value());
  CHECK(*cg.quota_cpus == Approx(3.0));
  CHECK(cg.path == "/app");
  CHECK(cg.quota_source == "/sys/fs/cgroup/app/cpu.max");
  CHECK(cg.quota_us == 300000);
  CHECK(cg.period_us == 100000);
}

TEST_CASE("probe_cgroup finds another process's cgroup among the reader's mounts", "[probe][cgroup]") {
  // A process in a container: its own mountinfo shows the cgroup2 mount rooted at its
  // pod's cgroup and a mount point this reader does not have.
  TempTree tree;
  REQUIRE(tree.ok());
  tree.write("proc/42/cgroup", "0::/kubepods/pod1/ctr\n");
  tree.write("proc/42/mountinfo",
             "30 25 0:26 /kubepods/pod1/ctr /container/cgroup rw - cgroup2 cgroup2 rw\n");
  tree.write("proc/self/cgroup", "0::/\n");
  tree.write("proc/self/mountinfo", kV2Mount);
  tree.write("sys/fs/cgroup/kubepods/pod1/cpu.max", "200000 100000\n");
  tree.write("sys/fs/cgroup/kubepods/pod1/ctr/cpu.max", "max 100000\n");
  const FsReader fs(tree.root());
  const auto cg = probe_cgroup(fs, "/proc/42");
  CHECK(cg.dir == "/sys/fs/cgroup/kubepods/pod1/ctr");
  REQUIRE(cg.quota_cpus.has_value());
  CHECK(*cg.quota_cpus == Approx(2.0));
  CHECK(cg.quota_source == "/sys/fs/cgroup/kubepods/pod1/cpu.max");
}

TEST_CASE("probe_cgroup keeps the tightest limit on the way up", "[probe][cgroup]") {
  TempTree tree;
  REQUIRE(tree.ok());
  tree.write("proc/self/cgroup", "0::/a/b/c\n");
  tree.write("proc/self/mountinfo", kV2Mount);
  const FsReader fs(tree.root());

  SECTION("the child is tighter than its ancestors") {
    tree.write("sys/fs/cgroup/a/cpu.max", "400000 100000\n");
    tree.write("sys/fs/cgroup/a/b/cpu.max", "max 100000\n");
    tree.write("sys/fs/cgroup/a/b/c/cpu.max", "100000 100000\n");
    const auto cg = probe_cgroup(fs, "/proc/self");
    REQUIRE(cg.quota_cpus.has_value());
    CHECK(*cg.quota_cpus == Approx(1.0));
    CHECK(cg.quota_source == "/sys/fs/cgroup/a/b/c/cpu.max");
    CHECK(cg.warnings.empty());
  }
  SECTION("a level without cpu.max means keep walking") {
    tree.mkdir("sys/fs/cgroup/a/b/c");
    tree.write("sys/fs/cgroup/a/cpu.max", "250000 100000\n");
    const auto cg = probe_cgroup(fs, "/proc/self");
    REQUIRE(cg.quota_cpus.has_value());
    CHECK(*cg.quota_cpus == Approx(2.5));
    CHECK(cg.quota_source == "/sys/fs/cgroup/a/cpu.max");
    CHECK(cg.dir == "/sys/fs/cgroup/a/b/c");
  }
  SECTION("periods differ: CPUs are compared, not quota numbers") {
    tree.write("sys/fs/cgroup/a/cpu.max", "100000 50000\n");       // 2 CPUs
    tree.write("sys/fs/cgroup/a/b/c/cpu.max", "150000 100000\n");  // 1.5 CPUs
    const auto cg = probe_cgroup(fs, "/proc/self");
    REQUIRE(cg.quota_cpus.has_value());
    CHECK(*cg.quota_cpus == Approx(1.5));
    CHECK(cg.quota_source == "/sys/fs/cgroup/a/b/c/cpu.max");
  }
  SECTION("a missing cgroup directory falls back to the mount point with a warning") {
    tree.write("sys/fs/cgroup/cpu.max", "200000 100000\n");
    const auto cg = probe_cgroup(fs, "/proc/self");
    CHECK(cg.dir == "/sys/fs/cgroup");
    CHECK(any_warning_contains(cg, "/sys/fs/cgroup/a/b/c"));
    REQUIRE(cg.quota_cpus.has_value());
    CHECK(*cg.quota_cpus == Approx(2.0));
  }
}

TEST_CASE("probe_cgroup v1: -1 everywhere is no limit and no warning", "[probe][cgroup]") {
  TempTree tree;
  REQUIRE(tree.ok());
  tree.write("proc/self/cgroup", "3:cpu,cpuacct:/user.slice\n0::/user.slice\n");
  tree.write("proc/self/mountinfo", std::string(kV1CpuMount) + kV2Mount);
  tree.write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
  tree.write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  tree.write("sys/fs/cgroup/cpu,cpuacct/user.slice/cpu.cfs_quota_us", "-1\n");
  tree.write("sys/fs/cgroup/cpu,cpuacct/user.slice/cpu.cfs_period_us", "100000\n");
  tree.write("sys/fs/cgroup/cpu,cpuacct/user.slice/cpu.shares", "1024\n");
  const auto cg = probe_cgroup(FsReader(tree.root()), "/proc/self");
  REQUIRE(cg.version.has_value());
  CHECK(*cg.version == 1);
  CHECK(cg.mounted_versions == std::vector<int>{1, 2});
  CHECK_FALSE(cg.quota_cpus.has_value());
  CHECK(cg.quota_source.empty());
  CHECK(cg.warnings.empty());
  REQUIRE(cg.weight.ok());
  CHECK(*cg.weight.value == 1024);
  CHECK(cg.weight_kind == "cpu.shares");
}

TEST_CASE("probe_cgroup uses v2 when the v1 cpu hierarchy is not mounted", "[probe][cgroup]") {
  TempTree tree;
  REQUIRE(tree.ok());
  tree.write("proc/self/cgroup", "3:cpu,cpuacct:/x\n0::/svc\n");
  tree.write("proc/self/mountinfo", kV2Mount);
  tree.write("sys/fs/cgroup/svc/cpu.max", "50000 100000\n");
  tree.write("sys/fs/cgroup/svc/cpu.weight", "not-a-number\n");
  const auto cg = probe_cgroup(FsReader(tree.root()), "/proc/self");
  REQUIRE(cg.version.has_value());
  CHECK(*cg.version == 2);
  REQUIRE(cg.quota_cpus.has_value());
  CHECK(*cg.quota_cpus == Approx(0.5));
  CHECK_FALSE(cg.weight.ok());
  CHECK(cg.weight.path == "/sys/fs/cgroup/svc/cpu.weight");
}

TEST_CASE("probe_cgroup cpuset: empty v2 files defer to the parent, garbage warns",
          "[probe][cgroup]") {
  TempTree tree;
  REQUIRE(tree.ok());
  tree.write("proc/self/cgroup", "0::/a/b\n");
  tree.write("proc/self/mountinfo", kV2Mount);
  tree.write("sys/fs/cgroup/a/b/cpu.max", "max 100000\n");
  tree.write("sys/fs/cgroup/a/b/cpuset.cpus.effective", "\n");
  const FsReader fs(tree.root());

  SECTION("the parent's cpuset applies") {
    tree.write("sys/fs/cgroup/a/cpuset.cpus.effective", "2-5\n");
    const auto cg = probe_cgroup(fs, "/proc/self");
    REQUIRE(cg.cpuset.ok());
    CHECK(*cg.cpuset.value == CpuSet{2, 3, 4, 5});
    CHECK(cg.cpuset.path == "/sys/fs/cgroup/a/cpuset.cpus.effective");
  }
  SECTION("a malformed cpuset is unavailable and warned about") {
    tree.write("sys/fs/cgroup/a/cpuset.cpus.effective", "2-x\n");
    const auto cg = probe_cgroup(fs, "/proc/self");
    CHECK_FALSE(cg.cpuset.ok());
    CHECK(any_warning_contains(cg, "/sys/fs/cgroup/a/cpuset.cpus.effective"));
  }
  SECTION("no cpuset file anywhere") {
    const auto cg = probe_cgroup(fs, "/proc/self");
    CHECK_FALSE(cg.cpuset.ok());
  }
}

TEST_CASE("probe_cgroup cpu.stat without the bandwidth counters is unavailable",
          "[probe][cgroup]") {
  TempTree tree;
  REQUIRE(tree.ok());
  tree.write("proc/self/cgroup", "0::/\n");
  tree.write("proc/self/mountinfo", kV2Mount);
  tree.write("sys/fs/cgroup/cpu.stat", "usage_usec 10\nuser_usec 5\nsystem_usec 5\n");
  tree.write("sys/fs/cgroup/cpu.pressure", "some avg10=2.00 avg60=1.00 avg300=0.50 total=99\n");
  const auto cg = probe_cgroup(FsReader(tree.root()), "/proc/self");
  CHECK_FALSE(cg.cpu_stat.ok());
  CHECK(cg.cpu_stat.path == "/sys/fs/cgroup/cpu.stat");
  REQUIRE(cg.pressure.ok());
  CHECK(cg.pressure.value->some_avg10 == Approx(2.0));
  CHECK(cg.pressure.path == "/sys/fs/cgroup/cpu.pressure");
}

TEST_CASE("probe_cgroup: of stacked mounts at one point the last one counts, without a warning",
          "[probe][cgroup]") {
  TempTree tree;
  REQUIRE(tree.ok());
  // A runtime mounted a cgroup2 view rooted elsewhere first, then the pod's own on top of it.
  tree.write("proc/self/cgroup", "0::/pod/ctr\n");
  tree.write("proc/self/mountinfo",
             "30 24 0:26 /other /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
             "40 24 0:26 /pod/ctr /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  tree.write("sys/fs/cgroup/cpu.max", "150000 100000\n");
  const auto cg = probe_cgroup(FsReader(tree.root()), "/proc/self");
  CHECK(cg.warnings.empty());
  CHECK(cg.dir == "/sys/fs/cgroup");
  REQUIRE(cg.quota_cpus.has_value());
  CHECK(*cg.quota_cpus == Approx(1.5));
}

TEST_CASE("probe_cgroup: CPU pressure of the process's own cgroup, else labelled system-wide",
          "[probe][cgroup]") {
  TempTree tree;
  REQUIRE(tree.ok());
  // cgroup v1 controllers with the v2 hierarchy beside them at .../unified (systemd hybrid).
  tree.write("proc/self/cgroup", "3:cpu,cpuacct:/job\n0::/job.scope\n");
  tree.write("proc/self/mountinfo",
             std::string(kV1CpuMount) +
                 "32 25 0:28 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n");
  tree.write("sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_quota_us", "-1\n");
  tree.write("proc/pressure/cpu", "some avg10=9.00 avg60=9.00 avg300=9.00 total=9\n");
  SECTION("the unified hierarchy has the process's cpu.pressure") {
    tree.write("sys/fs/cgroup/unified/job.scope/cpu.pressure", "some avg10=3.00 avg60=2.00 avg300=1.00 total=7\n");
    const auto cg = probe_cgroup(FsReader(tree.root()), "/proc/self");
    CHECK(*cg.version == 1);
    REQUIRE(cg.pressure.ok());
    CHECK(cg.pressure.path == "/sys/fs/cgroup/unified/job.scope/cpu.pressure");
    CHECK(cg.pressure.value->some_avg10 == Approx(3.0));
    CHECK(cg.pressure_scope == "cgroup");
  }
  SECTION("no per-cgroup file: the system-wide one, said so") {
    tree.mkdir("sys/fs/cgroup/unified/job.scope");
    const auto cg = probe_cgroup(FsReader(tree.root()), "/proc/self");
    REQUIRE(cg.pressure.ok());
    CHECK(cg.pressure.path == "/proc/pressure/cpu");
    CHECK(cg.pressure_scope == "system-wide");
  }
}

TEST_CASE("probe_cgroup: a mount point or cgroup path that climbs out of the root reads nothing outside",
          "[probe][cgroup]") {
  TempTree outside;
  TempTree tree;
  REQUIRE((tree.ok() && outside.ok()));
  outside.write("cpu.max", "77777 100000\n");
  const auto name = std::filesystem::path(outside.root()).filename().string();
  tree.write("proc/self/cgroup", "0::/\n");
  tree.write("proc/self/mountinfo", "30 24 0:26 / /../" + name + " rw - cgroup2 cgroup2 rw\n");
  const auto cg = probe_cgroup(FsReader(tree.root()), "/proc/self");
  CHECK_FALSE(cg.quota_cpus.has_value());
  TempTree other;
  other.write("proc/self/cgroup", "0::/../../../../../../../../" + name + "\n");
  other.write("proc/self/mountinfo", kV2Mount);
  const auto cg2 = probe_cgroup(FsReader(other.root()), "/proc/self");
  CHECK_FALSE(cg2.quota_cpus.has_value());
}

TEST_CASE("probe_cgroup places another process seen from inside a cgroup namespace", "[probe][cgroup]") {
  // torchdiag in a container with its own cgroup namespace and the host's hierarchy
  // mounted: both the mount's root and the other process's path start with "/..".
  TempTree tree;
  REQUIRE(tree.ok());
  tree.write("proc/self/cgroup", "0::/\n");
  tree.write("proc/self/mountinfo", "30 24 0:26 /.. /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n");
  tree.write("proc/42/cgroup", "0::/../pods/app\n");
  tree.write("sys/fs/cgroup/pods/cpu.max", "50000 100000\n");
  tree.write("sys/fs/cgroup/pods/app/cpu.max", "max 100000\n");
  const FsReader fs(tree.root());
  const auto cg = probe_cgroup(fs, "/proc/42");
  CHECK(cg.dir == "/sys/fs/cgroup/pods/app");
  REQUIRE(cg.quota_cpus.has_value());
  CHECK(*cg.quota_cpus == Approx(0.5));
  SECTION("a '..' below the shared prefix is never followed") {
    tree.write("proc/43/cgroup", "0::/../pods/../../etc\n");
    const auto bad = probe_cgroup(fs, "/proc/43");
    CHECK_FALSE(bad.quota_cpus.has_value());
    CHECK(bad.dir.empty());
  }
}

TEST_CASE("probe_cgroup never lends this process's limits to another one", "[probe][cgroup]") {
  // A sidecar: the app's cgroup is outside the sidecar's namespace and mount, so the
  // mount point (the sidecar's own cgroup, with its own 0.5-CPU quota) must not be read
  // for the app; for the sidecar itself it is the right place.
  TempTree tree;
  REQUIRE(tree.ok());
  tree.write("proc/self/cgroup", "0::/\n");
  tree.write("proc/self/mountinfo", "30 24 0:26 / /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n");
  tree.write("proc/42/cgroup", "0::/../app-container\n");
  tree.write("sys/fs/cgroup/cpu.max", "50000 100000\n");
  const FsReader fs(tree.root());
  const auto app = probe_cgroup(fs, "/proc/42");
  CHECK_FALSE(app.quota_cpus.has_value());
  CHECK(app.dir.empty());
  REQUIRE_FALSE(app.warnings.empty());
  CHECK(app.warnings.back().find("limits are unknown here") != std::string::npos);
  CHECK(app.cpu_stat.reason.find("limits are unknown here") != std::string::npos);
  const auto self = probe_cgroup(fs, "/proc/self");
  REQUIRE(self.quota_cpus.has_value());
  CHECK(*self.quota_cpus == Approx(0.5));
}
