#pragma once
#include <map>
#include <optional>

#include "model/inspect_report.h"
#include "sys/fs_reader.h"

namespace torchdiag {

/// CPU topology facts by affinity mask: the processes of one node share its topology,
/// so a caller probing many of them reads it once per distinct mask.
using TopologyCache = std::map<CpuSet, CpuFacts>;

/// Collects CPU, cgroup and environment facts for this process (pid unset) or for
/// another one. On the live system this process's affinity comes from
/// sched_getaffinity; under --root, or for another pid, from `proc/PID/status`.
/// With `cache`, the topology of a mask seen before is taken from it. Capacity and
/// findings are left for advise/.
InspectReport probe_inspect(const FsReader& fs, std::optional<int> pid = std::nullopt,
                            TopologyCache* cache = nullptr);

}  // namespace torchdiag
