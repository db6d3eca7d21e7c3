#pragma once
#include <optional>

#include "model/inspect_report.h"
#include "sys/fs_reader.h"

namespace torchdiag {

/// Collects CPU, cgroup and environment facts for this process (pid unset) or for
/// another one. On the live system this process's affinity comes from
/// sched_getaffinity; under --root, or for another pid, from `proc/PID/status`.
/// Capacity and findings are left for advise/.
InspectReport probe_inspect(const FsReader& fs, std::optional<int> pid = std::nullopt);

}  // namespace torchdiag
