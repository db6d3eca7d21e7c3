#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/bench_result.h"
#include "sys/perf_counters.h"
#include "sys/perf_sampler.h"

namespace torchdiag {

/// True when TORCHDIAG_NO_SAMPLING is set to a non-empty value other than "0".
bool spin_sampling_switched_off();

/// Counts what a process did between start() and stop(): CPU time and context
/// switches of all its threads (getrusage RUSAGE_SELF), perf events and cpu-clock
/// samples (opened at construction with inherit, so construct it before any thread
/// pool exists), and the CFS throttling of its cgroup (cpu.stat read before and
/// after). Used inside the worker around the timed window only.
class WindowCounterProbe {
 public:
  /// `events` empty = default_perf_events(). `open_fn` replaces perf_event_open in
  /// tests (for the counters and the sampler). `sample_spin` false: no sampler, the
  /// spin share is left to the proxy with the reason "switched off".
  explicit WindowCounterProbe(const std::vector<std::string>& events = {}, PerfOpenFn open_fn = nullptr,
                              bool sample_spin = !spin_sampling_switched_off());
  /// Snapshots the counters and enables sampling.
  void start();
  /// Deltas since start(); disables sampling. Never throws: what failed has a reason.
  WindowCounters stop();

 private:
  void fill_spin(WindowCounters& c) const;

  std::string stat_path_;  ///< cpu.stat to read, "" when unknown
  std::string stat_reason_;
  double cpu0_ = 0;
  long long vol0_ = 0, invol0_ = 0;
  std::optional<CpuStat> stat0_;
  PerfCounters perf_;
  std::vector<PerfReading> perf0_;
  std::unique_ptr<PerfSampler> sampler_;  ///< null when switched off
  SampleCounts samples0_;
};



}  // namespace torchdiag
