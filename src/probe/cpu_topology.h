#pragma once
#include "model/cpu_facts.h"
#include "sys/fs_reader.h"

namespace torchdiag {

/// Reads online CPUs, and the cores, SMT siblings, packages and NUMA nodes of the CPUs
/// in `affinity`, from sys/devices/system/{cpu,node} (Documentation/admin-guide/cputopology.rst).
/// `affinity` is stored as given; counts are unavailable (with the path) when it is.
CpuFacts probe_cpu_topology(const FsReader& fs, const Fact<CpuSet>& affinity);

}  // namespace torchdiag
