#pragma once
#include "model/fact.h"
#include "util/cpu_list.h"

namespace torchdiag {

/// The affinity mask of `pid` (0 = this process) from sched_getaffinity(2). The
/// buffer grows until the kernel accepts it, so masks beyond 1024 CPUs work.
Fact<CpuSet> live_affinity(int pid = 0);

}  // namespace torchdiag
