#pragma once
#include <optional>
#include <string>
#include <vector>

#include "model/capacity.h"
#include "model/cgroup_facts.h"
#include "model/cpu_facts.h"
#include "model/env_facts.h"
#include "model/finding.h"
#include "model/node_facts.h"
#include "model/perf_capability.h"
#include "model/torch_facts.h"

namespace torchdiag {

inline constexpr const char* kInspectSchema = "torchdiag.inspect/1";

/// Everything `torchdiag inspect` knows; renderers only format this.
struct InspectReport {
  std::string root;  ///< "/" for the live system, or the --root directory
  std::optional<int> pid;  ///< set for `inspect --pid`
  CpuFacts cpu;
  CgroupFacts cgroup;
  EnvFacts env;
  Capacity capacity;
  std::optional<TorchFacts> torch;  ///< absent with --no-torch
  std::optional<ProcessFacts> process;  ///< set for `inspect --pid`
  std::optional<PerfCapability> profiling;  ///< perf counters and sampling here
  std::optional<NodeFacts> node;  ///< kernel, CPU model, mitigations, runtime: inspect and bench only
  std::vector<Finding> findings;
};

}  // namespace torchdiag
