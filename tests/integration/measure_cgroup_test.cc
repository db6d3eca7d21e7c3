// MeasureCgroup on the real cgroup v1 hierarchies: a child joined to it runs under its
// quota and cpuset, and the directories are gone afterwards.
//
// Needs root and writable cgroup v1 `cpu` and `cpuset` hierarchies at /sys/fs/cgroup/cpu
// and /sys/fs/cgroup/cpuset (the CI machine has them). Elsewhere every test prints why
// with WARN and returns.
#include "bench/measure_cgroup.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "integration/quota_cgroup.h"
#include "sys/subprocess.h"

namespace {

using namespace torchdiag;

const std::string kCpusetHierarchy = "/sys/fs/cgroup/cpuset";

/// True (after a WARN saying why) when cpu and cpuset cgroups cannot be made here.
bool skip_without_cpu_and_cpuset() {
  auto why = test::why_no_cgroup_v1_cpu();
  if (why.empty()) why = test::why_no_cgroup_v1(kCpusetHierarchy, "cpuset.cpus");
  if (why.empty()) return false;
  WARN("skipped: cannot create cgroup v1 cpu and cpuset groups here (" << why
                                                                       << "); these tests need root and "
                                                                          "writable "
                                                                       << test::kCpuHierarchy << " and "
                                                                       << kCpusetHierarchy);
  return true;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("a child joined to the measure cgroup runs under its quota and cpuset", "[integration][measure-cgroup]") {
  if (skip_without_cpu_and_cpuset()) return;
  auto cg = MeasureCgroup::create(CgroupLimits{0.5, std::string("0"), std::nullopt});
  INFO(cg->why());
  REQUIRE(cg->ok());
  const std::vector<std::string> dirs = cg->created_dirs();
  REQUIRE(dirs.size() == 2);
  const auto name = base_name(dirs[0]);
  CHECK(dirs[0] == test::kCpuHierarchy + "/" + name);
  CHECK(dirs[1] == kCpusetHierarchy + "/" + name);
  CHECK(cg->describe() == "cgroup v1 cpu:/" + name + " (quota 0.50 CPUs), cpuset:/" + name + " (CPUs 0)");

  // The shell waits for its stdin, which run_process writes only after on_start: the
  // commands run once the child has joined.
  SpawnOptions o;
  o.argv = {"/bin/sh", "-c",
            "read go; cat /proc/self/cgroup; grep Cpus_allowed_list /proc/self/status; cat " + dirs[0] +
                "/cpu.cfs_quota_us " + dirs[1] + "/cpuset.mems"};
  o.env = current_environment();
  o.stdin_text = "go\n";
  o.timeout_s = 30;
  std::string join_error = "not called";
  o.on_start = [&](int pid) { join_error = join_measure_cgroup(cg->procs_files(), pid); };
  const auto r = run_process(o);
  INFO("stdout:\n" << r.stdout_text << "\nstderr:\n" << r.stderr_text);
  CHECK(join_error == "");
  REQUIRE(r.ok());
  CHECK(has_line(r.stdout_text, "1:cpu:/" + name));
  CHECK(r.stdout_text.find(":cpuset:/" + name + "\n") != std::string::npos);
  CHECK(has_line(r.stdout_text, "Cpus_allowed_list:\t0"));
  CHECK(has_line(r.stdout_text, "50000"));

  cg.reset();  // the child has been reaped: removal succeeds within the EBUSY retries
  for (const auto& dir : dirs) {
    INFO(dir);
    CHECK_FALSE(exists(dir));
  }
}

TEST_CASE("a measure cgroup only for a quota touches only the cpu hierarchy", "[integration][measure-cgroup]") {
  if (skip_without_cpu_and_cpuset()) return;
  auto cg = MeasureCgroup::create(CgroupLimits{2.0, std::nullopt, std::nullopt});
  INFO(cg->why());
  REQUIRE(cg->ok());
  REQUIRE(cg->created_dirs().size() == 1);
  const auto dir = cg->created_dirs()[0];
  CHECK(dir == test::kCpuHierarchy + "/" + base_name(dir));
  CHECK(cg->remove() == "");
  CHECK_FALSE(exists(dir));
  CHECK(cg->procs_files().empty());
}

TEST_CASE("a measure cgroup with CPUs this process may not use is refused, nothing created",
          "[integration][measure-cgroup]") {
  if (skip_without_cpu_and_cpuset()) return;
  const auto cg = MeasureCgroup::create(CgroupLimits{0.5, std::string("4095"), std::nullopt});
  CHECK_FALSE(cg->ok());
  CHECK(cg->why().find("CPUs 4095 are not all in this process's cpuset") != std::string::npos);
  CHECK(cg->created_dirs().empty());
  CHECK(cg->procs_files().empty());
}
