#pragma once
// Verdicts and findings for `torchdiag watch`: pure functions of what was measured.
// The thresholds are named here and documented in the man page (WATCH VERDICTS).
#include <vector>

#include "model/watch_report.h"

namespace torchdiag {

namespace watch_limits {
/// Oversubscribed: more than 15% more runnable threads than usable CPUs (the line
/// VTune draws for "over" concurrency, applied to the CPUs the process may use) ...
inline constexpr double kOverRatio = 1.15;
/// ... with real waiting: over 10% of runnable time spent waiting for a CPU, or ...
inline constexpr double kWaitFraction = 0.10;
/// ... over 10% of the cgroup's CFS periods throttled.
inline constexpr double kThrottledFraction = 0.10;
/// Undersubscribed: the pool is smaller than the usable threads and its threads are busy
/// (CPU used at least 80% of the pool size).
inline constexpr double kBusyShare = 0.80;
/// Idle: under 0.05 CPUs used and under 0.1 runnable threads on average.
inline constexpr double kIdleCpus = 0.05;
inline constexpr double kIdleRunnable = 0.10;
/// Spin worth a finding: a fifth of the CPU samples in the OpenMP runtime's code.
inline constexpr double kSpinFraction = 0.20;
}  // namespace watch_limits

/// The intra-op team of a process: its OpenMP pool (workers + the main thread), else
/// the thread count its environment asks for (MKL_NUM_THREADS, then OMP_NUM_THREADS),
/// else all its threads.
int pool_threads(const WatchedProcess& p);

/// Sets pool_threads, oversubscription_ratio, verdict and verdict_reason.
void judge_process(WatchedProcess& p);

/// The processes grouped by cgroup path (those seen for at least one interval), with
/// sums and a verdict, in the order first seen.
std::vector<WatchedCgroup> group_by_cgroup(const std::vector<WatchedProcess>& processes);

/// Findings with fixes, most severe first; ids shared with inspect where they mean
/// the same ("oversubscription", "undersubscription", "cfs-throttled",
/// "multiple-openmp-runtimes") and "cgroup-oversubscribed", "openmp-spin".
std::vector<Finding> watch_findings(const WatchReport& report);

/// judge_process on every process, then cgroups and findings.
void judge_watch(WatchReport& report);

}  // namespace torchdiag
