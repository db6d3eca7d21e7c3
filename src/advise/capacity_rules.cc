#include "advise/capacity_rules.h"

#include <algorithm>
#include <cmath>

namespace torchdiag {
namespace {
constexpr double kEpsilon = 1e-9;  // quotas like 150000/100000 must floor to exactly 1
}

int affinity_count(const CpuFacts& cpu, const CgroupFacts& cgroup) {
  if (cpu.affinity.ok() && !cpu.affinity.value->empty()) {
    if (cgroup.cpuset.ok()) {
      const auto both = intersect(*cpu.affinity.value, *cgroup.cpuset.value);
      if (!both.empty()) return static_cast<int>(both.size());
    }
    return static_cast<int>(cpu.affinity.value->size());
  }
  if (cgroup.cpuset.ok() && !cgroup.cpuset.value->empty()) {
    return static_cast<int>(cgroup.cpuset.value->size());
  }
  if (cpu.online.ok() && !cpu.online.value->empty()) {
    return static_cast<int>(cpu.online.value->size());
  }
  return 1;
}

Capacity compute_capacity(const CpuFacts& cpu, const CgroupFacts& cgroup) {
  Capacity out;
  const int mask = affinity_count(cpu, cgroup);
  double limit = mask;
  out.limited_by = LimitedBy::kAffinity;
  int usable = mask;
  if (cgroup.quota_cpus && *cgroup.quota_cpus < mask) {
    limit = *cgroup.quota_cpus;
    usable = std::max(1, static_cast<int>(std::floor(*cgroup.quota_cpus + kEpsilon)));
    out.limited_by = LimitedBy::kQuota;
  }
  out.allowed_cpus = std::max(1, static_cast<int>(std::ceil(limit - kEpsilon)));
  const bool smt = cpu.threads_per_core.ok() && *cpu.threads_per_core.value > 1;
  if (smt && cpu.physical_cores.ok() && *cpu.physical_cores.value < usable) {
    usable = *cpu.physical_cores.value;
    out.limited_by = LimitedBy::kPhysicalCores;
  }
  out.usable_threads = std::max(1, std::min(usable, mask));
  return out;
}

}  // namespace torchdiag
