#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "model/bench_result.h"

namespace torchdiag {

/// Counts what a process did between start() and stop(): CPU time and context
/// switches of all its threads (getrusage RUSAGE_SELF), and the CFS throttling of
/// its cgroup (cpu.stat of the cgroup that sets the quota, read before and after).
/// Used inside the worker around the timed window only.
class WindowCounterProbe {
 public:
  WindowCounterProbe();
  void start();
  WindowCounters stop() const;

 private:
  std::string stat_path_;  ///< cpu.stat to read, "" when unknown
  std::string stat_reason_;
  double cpu0_ = 0;
  long long vol0_ = 0, invol0_ = 0;
  std::optional<CpuStat> stat0_;
};

nlohmann::json counters_to_json(const WindowCounters& c);
WindowCounters counters_from_json(const nlohmann::json& j);

}  // namespace torchdiag
