// Capacity rules: allowed_cpus = ceil(min(quota, affinity count)); usable_threads =
// floor(quota) (at least 1), at most the affinity count, and under SMT at most the
// physical cores in the mask.
#include "advise/capacity_rules.h"

#include <catch2/catch.hpp>
#include <numeric>
#include <optional>

using namespace torchdiag;

namespace {

CpuSet range_set(int first, int count) {
  CpuSet s(static_cast<size_t>(count));
  std::iota(s.begin(), s.end(), first);
  return s;
}

/// A mask of `mask_cpus` CPUs with `cores` physical cores and `threads` per core.
CpuFacts cpus(int mask_cpus, std::optional<int> cores = std::nullopt, int threads = 1) {
  CpuFacts c;
  c.online = Fact<CpuSet>::known(range_set(0, mask_cpus));
  c.affinity = Fact<CpuSet>::known(range_set(0, mask_cpus));
  c.physical_cores = Fact<int>::known(cores.value_or(mask_cpus / threads));
  c.threads_per_core = Fact<int>::known(threads);
  return c;
}

CgroupFacts quota(std::optional<double> cpus_quota) {
  CgroupFacts g;
  g.quota_cpus = cpus_quota;
  if (cpus_quota) g.quota_source = "/sys/fs/cgroup/cpu.max";
  return g;
}

}  // namespace

TEST_CASE("capacity from a quota and a mask", "[advise][capacity]") {
  struct Row {
    std::optional<double> quota;
    int mask;
    int allowed;
    int usable;
    LimitedBy limited_by;
  };
  const Row rows[] = {
      {1.5, 8, 2, 1, LimitedBy::kQuota},  // ceil 2, floor 1
      {0.5, 4, 1, 1, LimitedBy::kQuota},  // below one CPU: still one thread
      {0.01, 4, 1, 1, LimitedBy::kQuota},
      {3.0, 2, 2, 2, LimitedBy::kAffinity},  // the mask is tighter than the quota
      {2.0, 4, 2, 2, LimitedBy::kQuota},     // exactly 2.0 floors to 2, not 1
      {2.0, 2, 2, 2, LimitedBy::kAffinity},  // equal: the mask is reported
      {1.5, 1, 1, 1, LimitedBy::kAffinity},
      {2.9999, 8, 3, 2, LimitedBy::kQuota},
      {2.5, 8, 3, 2, LimitedBy::kQuota},
      {16.0, 256, 16, 16, LimitedBy::kQuota},
      {std::nullopt, 8, 8, 8, LimitedBy::kAffinity},
      {std::nullopt, 1, 1, 1, LimitedBy::kAffinity},
  };
  for (const auto& row : rows) {
    INFO("quota " << (row.quota ? std::to_string(*row.quota) : "none") << ", mask " << row.mask);
    const auto c = compute_capacity(cpus(row.mask), quota(row.quota));
    CHECK(c.allowed_cpus == row.allowed);
    CHECK(c.usable_threads == row.usable);
    CHECK(c.limited_by == row.limited_by);
  }
}

TEST_CASE("quotas from real cpu.max values floor exactly", "[advise][capacity]") {
  // 150000/100000 and 300000/100000 must not become 1.4999... or 2.9999... threads.
  struct Row {
    long long quota_us;
    long long period_us;
    int usable;
    int allowed;
  };
  const Row rows[] = {
      {150000, 100000, 1, 2}, {300000, 100000, 3, 3}, {700000, 100000, 7, 7},
      {110000, 100000, 1, 2}, {290000, 100000, 2, 3}, {30000, 10000, 3, 3},
      {330000, 110000, 3, 3}, {100000, 30000, 3, 4},
  };
  for (const auto& row : rows) {
    const double q = static_cast<double>(row.quota_us) / static_cast<double>(row.period_us);
    INFO("quota " << row.quota_us << "/" << row.period_us);
    const auto c = compute_capacity(cpus(64), quota(q));
    CHECK(c.usable_threads == row.usable);
    CHECK(c.allowed_cpus == row.allowed);
  }
}

TEST_CASE("SMT caps usable threads at the physical cores in the mask", "[advise][capacity]") {
  SECTION("no quota: 8 logical CPUs on 4 cores") {
    const auto c = compute_capacity(cpus(8, 4, 2), quota(std::nullopt));
    CHECK(c.allowed_cpus == 8);
    CHECK(c.usable_threads == 4);
    CHECK(c.limited_by == LimitedBy::kPhysicalCores);
  }
  SECTION("quota above the cores") {
    const auto c = compute_capacity(cpus(8, 4, 2), quota(6.0));
    CHECK(c.allowed_cpus == 6);
    CHECK(c.usable_threads == 4);
    CHECK(c.limited_by == LimitedBy::kPhysicalCores);
  }
  SECTION("quota below the cores: the quota decides") {
    const auto c = compute_capacity(cpus(8, 4, 2), quota(3.0));
    CHECK(c.allowed_cpus == 3);
    CHECK(c.usable_threads == 3);
    CHECK(c.limited_by == LimitedBy::kQuota);
  }
  SECTION("no SMT siblings in the mask: cores equal CPUs, no cap") {
    const auto c = compute_capacity(cpus(8, 8, 1), quota(std::nullopt));
    CHECK(c.usable_threads == 8);
    CHECK(c.limited_by == LimitedBy::kAffinity);
  }
  SECTION("threads_per_core 1 ignores a lower core count") {
    const auto c = compute_capacity(cpus(8, 2, 1), quota(std::nullopt));
    CHECK(c.usable_threads == 8);
  }
  SECTION("unknown topology: no cap") {
    auto c_facts = cpus(8);
    c_facts.physical_cores = Fact<int>::unavailable("missing");
    c_facts.threads_per_core = Fact<int>::unavailable("missing");
    const auto c = compute_capacity(c_facts, quota(std::nullopt));
    CHECK(c.usable_threads == 8);
  }
}

TEST_CASE("the cpuset intersects the affinity mask", "[advise][capacity]") {
  auto c_facts = cpus(8);
  auto g = quota(std::nullopt);
  SECTION("cpuset narrower than the mask") {
    g.cpuset = Fact<CpuSet>::known({0, 1, 2, 3});
    CHECK(affinity_count(c_facts, g) == 4);
    const auto c = compute_capacity(c_facts, g);
    CHECK(c.allowed_cpus == 4);
    CHECK(c.usable_threads == 4);
  }
  SECTION("partly overlapping") {
    c_facts.affinity = Fact<CpuSet>::known({0, 1, 2, 3, 4, 5});
    g.cpuset = Fact<CpuSet>::known({4, 5, 6, 7});
    CHECK(affinity_count(c_facts, g) == 2);
    CHECK(compute_capacity(c_facts, g).usable_threads == 2);
  }
  SECTION("a quota below the intersection") {
    g.cpuset = Fact<CpuSet>::known({0, 1, 2, 3});
    g.quota_cpus = 1.5;
    const auto c = compute_capacity(c_facts, g);
    CHECK(c.allowed_cpus == 2);
    CHECK(c.usable_threads == 1);
  }
  SECTION("a quota above the intersection") {
    g.cpuset = Fact<CpuSet>::known({0, 1});
    g.quota_cpus = 3.0;
    const auto c = compute_capacity(c_facts, g);
    CHECK(c.allowed_cpus == 2);
    CHECK(c.usable_threads == 2);
  }
}

TEST_CASE("affinity_count falls back from the mask to the cpuset, online, then 1",
          "[advise][capacity]") {
  CpuFacts c;
  CgroupFacts g;
  c.affinity = Fact<CpuSet>::unavailable("no status");
  c.online = Fact<CpuSet>::unavailable("no online file");
  g.cpuset = Fact<CpuSet>::unavailable("no cpuset");
  CHECK(affinity_count(c, g) == 1);
  c.online = Fact<CpuSet>::known(range_set(0, 6));
  CHECK(affinity_count(c, g) == 6);
  g.cpuset = Fact<CpuSet>::known({1, 2, 3});
  CHECK(affinity_count(c, g) == 3);
  c.affinity = Fact<CpuSet>::known({0, 1});
  CHECK(affinity_count(c, g) == 1);  // {0, 1} & {1, 2, 3} = {1}
  g.cpuset = Fact<CpuSet>::known({4, 5});
  CHECK(affinity_count(c, g) == 2);  // disjoint (an inconsistent snapshot): the mask alone
}
