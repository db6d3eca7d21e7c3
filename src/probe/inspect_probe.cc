#include "probe/inspect_probe.h"

#include <string>

#include "probe/cgroup.h"
#include "probe/cpu_topology.h"
#include "probe/env_probe.h"
#include "probe/process_status.h"
#include "sys/affinity.h"
#include "sys/kernel_paths.h"

namespace torchdiag {

InspectReport probe_inspect(const FsReader& fs, std::optional<int> pid) {
  InspectReport report;
  report.root = fs.root();
  report.pid = pid;
  const std::string proc_dir = paths::proc_dir(pid.value_or(0));
  const auto affinity = (fs.is_live() && !pid) ? live_affinity() : affinity_from_status(fs, proc_dir);
  report.cpu = probe_cpu_topology(fs, affinity);
  report.cgroup = probe_cgroup(fs, proc_dir);
  report.env = probe_env(fs, proc_dir);
  return report;
}

}  // namespace torchdiag
