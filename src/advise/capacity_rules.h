#pragma once
#include "model/capacity.h"
#include "model/cgroup_facts.h"
#include "model/cpu_facts.h"

namespace torchdiag {

/// Number of CPUs in the affinity mask (intersected with the cpuset when both are
/// known); falls back to the online count, then 1.
int affinity_count(const CpuFacts& cpu, const CgroupFacts& cgroup);

/// allowed_cpus = ceil(min(quota, affinity)); usable_threads = floor(quota) (at least 1),
/// capped by the affinity count and, when SMT siblings share the mask, by physical cores.
/// OpenMP teams wait at barriers, so one thread beyond the quota stalls the whole team.
Capacity compute_capacity(const CpuFacts& cpu, const CgroupFacts& cgroup);

}  // namespace torchdiag
