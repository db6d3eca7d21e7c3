// Real cgroup v1 CPU quotas: torchdiag started inside one must report the quota, the
// capacity derived from it and the findings that depend on it.
//
// Needs root and a writable cgroup v1 `cpu` hierarchy at /sys/fs/cgroup/cpu (the CI
// machine has one). Elsewhere every test prints why with WARN and returns.
// The files are described in the kernel's Documentation/scheduler/sched-bwc.rst
// (cpu.cfs_quota_us, cpu.cfs_period_us) and Documentation/admin-guide/cgroup-v1/cgroups.rst
// (cgroup.procs).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "integration/quota_cgroup.h"

namespace {

using nlohmann::json;
using namespace torchdiag::test;

std::string string_or_empty(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// `torchdiag inspect --no-torch --format json [extra...]` inside `cgroup`, parsed.
json inspect_in(const QuotaCgroup& cgroup, const std::map<std::string, std::string>& env,
                const std::vector<std::string>& extra, int expected_exit) {
  std::vector<std::string> args = {TORCHDIAG_BINARY, "inspect", "--no-torch", "--format", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = run_in_cgroup(cgroup, args, child_environment(env));
  INFO("cgroup " << cgroup.dir() << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.error == "");
  REQUIRE(r.exit_code == expected_exit);
  const auto j = json::parse(r.out, nullptr, false);
  REQUIRE(j.is_object());
  REQUIRE(j.contains("cpu"));
  return j;
}

std::vector<std::string> finding_ids(const json& report, bool problems_only) {
  std::vector<std::string> ids;
  for (const auto& f : report.value("findings", json::array())) {
    if (problems_only && f.value("severity", "") == "info") continue;
    ids.push_back(f.value("id", ""));
  }
  return ids;
}

}  // namespace

TEST_CASE("inspect reports a real cgroup v1 CPU quota", "[integration]") {
  if (skip_without_cgroup_v1_cpu()) return;
  for (const long quota_us : {50000L, 150000L}) {
    const double quota_cpus = static_cast<double>(quota_us) / kPeriodUs;
    DYNAMIC_SECTION("quota " << quota_cpus << " CPUs") {
      const QuotaCgroup cgroup(quota_us, kPeriodUs);
      REQUIRE(cgroup.error() == "");
      const auto report = inspect_in(cgroup, {}, {}, 0);
      const auto& cpu = report.at("cpu");
      INFO("cpu: " << cpu.dump(2));
      CHECK(cpu.at("cgroup_version") == 1);
      REQUIRE(cpu.at("quota_cpus").is_number());
      CHECK(cpu.at("quota_cpus").get<double>() == Approx(quota_cpus));
      const auto source = string_or_empty(cpu, "quota_source");
      CHECK(ends_with(source, "/cpu.cfs_quota_us"));
      CHECK(source.find(cgroup.name()) != std::string::npos);
      CHECK(ends_with(string_or_empty(report.value("cgroup", json::object()), "path"), cgroup.name()));
      CHECK(cpu.at("usable_threads") == 1);
      const int allowed = std::min(static_cast<int>(std::ceil(quota_cpus)), affinity_count());
      CHECK(cpu.at("allowed_cpus") == allowed);
    }
  }
}

TEST_CASE("inspect --check in a 0.5-CPU cgroup gates on OMP_NUM_THREADS", "[integration]") {
  if (skip_without_cgroup_v1_cpu()) return;
  const QuotaCgroup cgroup(50000, kPeriodUs);
  REQUIRE(cgroup.error() == "");
  SECTION("OMP_NUM_THREADS=4 exceeds the 1 usable thread: exit 3") {
    const auto report = inspect_in(cgroup, {{"OMP_NUM_THREADS", "4"}}, {"--check"}, 3);
    const auto ids = finding_ids(report, true);
    CHECK(std::find(ids.begin(), ids.end(), "env-threads-exceed-usable") != ids.end());
  }
  SECTION("OMP_NUM_THREADS=1 fits: exit 0") {
    const auto report = inspect_in(cgroup, {{"OMP_NUM_THREADS", "1"}}, {"--check"}, 0);
    CHECK(finding_ids(report, true).empty());
  }
}
