#pragma once
#include <string>

#include "model/fact.h"
#include "util/cpu_list.h"

namespace torchdiag {

/// What the CPU topology looks like from this process. Counts marked "within the
/// mask" only consider CPUs in the affinity mask.
struct CpuFacts {
  Fact<CpuSet> online;        ///< sys/devices/system/cpu/online
  Fact<CpuSet> affinity;      ///< sched_getaffinity, or Cpus_allowed_list under --root
  Fact<int> physical_cores;   ///< distinct (package, core) pairs within the mask
  Fact<int> threads_per_core; ///< largest number of SMT siblings of one core within the mask
  Fact<int> sockets;          ///< distinct physical packages within the mask
  Fact<int> numa_nodes;       ///< NUMA nodes that hold at least one CPU of the mask
};

}  // namespace torchdiag
