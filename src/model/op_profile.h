#pragma once
// Where a call's time goes, per operator: what the worker records with LibTorch's
// profiler after the timed window (raw events), and what bench/ makes of them (a table
// per configuration, and each operator's scaling across thread counts).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace torchdiag {

/// One recorded range: an operator ("aten::linear"), a TorchScript function scope, or
/// the worker's own "torchdiag::call" around each profiled call. Times in microseconds
/// from the first event; `depth` counts the ranges open around it on its thread.
struct OpEvent {
  std::string name;
  int thread = 0;         ///< the profiler's thread index (0: the calling thread)
  double start_us = 0;
  double dur_us = 0;
  int depth = 0;
  std::string shapes;     ///< input shapes ("[[8, 64], [64]]") when recorded
};

/// The worker's profiled calls: every range, in start order per thread. Crosses the
/// pipe inside the result message.
struct ProfileSample {
  int calls = 0;                  ///< profiled calls (each has one "torchdiag::call" range)
  std::vector<OpEvent> events;    ///< at most kMaxProfileEvents
  bool truncated = false;         ///< more events were recorded than kept
  std::string error;              ///< why the profile is missing ("" when recorded)
};

/// Ranges a worker sends at most: a model of 200 small ops over 10 calls is 2,010.
inline constexpr size_t kMaxProfileEvents = 200000;
/// The name of the range around each profiled call.
inline constexpr const char* kCallRangeName = "torchdiag::call";

/// One operator in a configuration's table.
struct OpStat {
  std::string name;
  std::string shapes;             ///< with --profile-shapes, else ""
  double calls_per_forward = 0;   ///< occurrences per profiled call
  double self_s_per_call = 0;     ///< time in the operator itself (not its children), per call
  double share = 0;               ///< self time / wall time of the call
  int thread = 0;                 ///< the thread it ran on most
};

/// A configuration's profile, summarised.
struct OpProfile {
  std::vector<OpStat> ops;        ///< most self time first
  double wall_s_per_call = 0;     ///< mean duration of the "torchdiag::call" ranges
  /// 1 - (time in top-level operators / wall time of the call): the interpreter,
  /// dispatcher and allocation around the operators (clamped to 0..1).
  double framework_overhead_fraction = 0;
  int calls = 0;
  bool truncated = false;
  std::string trace_file;         ///< the Chrome trace written for this configuration
  std::string error;              ///< why there is no profile ("" when there is)
};

/// One operator across the thread counts of a workload's configurations.
struct OpScaling {
  std::string workload;                               ///< "forward" or "index_select"
  std::string name;
  std::vector<std::pair<int, double>> self_s;         ///< (threads, self time per call), ascending threads
  std::vector<std::pair<int, double>> speedup;        ///< (threads, self time at the fewest threads / at these)
  bool slower_with_threads = false;                   ///< self time grows by >10% from the fewest to the most threads
  bool never_parallel = false;                        ///< speed-up within 10% of 1 at every count, and on one thread
  std::string reading;                                ///< "aten::gru: 1.0x at every count, runs on one thread"
};

}  // namespace torchdiag
