#include "probe/inspect_probe.h"

#include <string>

#include "probe/cgroup.h"
#include "probe/cpu_topology.h"
#include "probe/env_probe.h"
#include "probe/process_status.h"
#include "sys/affinity.h"
#include "sys/kernel_paths.h"

namespace torchdiag {

InspectReport probe_inspect(const FsReader& fs, std::optional<int> pid, TopologyCache* cache) {
  InspectReport report;
  report.root = fs.root();
  report.pid = pid;
  const std::string proc_dir = paths::proc_dir(pid.value_or(0));
  const auto affinity = (fs.is_live() && !pid) ? live_affinity() : affinity_from_status(fs, proc_dir);
  if (cache && affinity.ok()) {
    auto it = cache->find(*affinity.value);
    if (it == cache->end()) it = cache->emplace(*affinity.value, probe_cpu_topology(fs, affinity)).first;
    report.cpu = it->second;
    report.cpu.affinity = affinity;  // the same mask, read from this process's own status
  } else {
    report.cpu = probe_cpu_topology(fs, affinity);
  }
  report.cgroup = probe_cgroup(fs, proc_dir);
  report.env = probe_env(fs, proc_dir);
  return report;
}

}  // namespace torchdiag
