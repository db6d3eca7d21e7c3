#pragma once
// The sampling loop of `torchdiag watch`: every interval, each target's threads are
// read from /proc (through the rooted reader), turned into per-interval deltas, and
// summed over the window; its cgroup's cpu.stat and cpu.pressure are read alongside,
// and a cpu-clock sampler attributes its CPU time to the OpenMP runtime (spin).
// Verdicts and findings come from advise/watch_rules.h when the window ends.
#include <atomic>
#include <string>
#include <vector>

#include "model/watch_report.h"
#include "sys/fs_reader.h"
#include "sys/perf_open.h"
#include "watch/targets.h"

namespace torchdiag {

struct WatchOptions {
  double duration_s = 10;
  double interval_s = 1;
  bool spin = true;            ///< sample CPU time to measure spin in the OpenMP runtime
  int spin_hz = 99;            ///< cpu-clock samples per second of CPU time, per thread
  int paranoid = -1;           ///< perf_event_paranoid, for the reasons (< 0 unknown)
  PerfOpenFn open_fn = nullptr;  ///< replaces perf_event_open (fault injection)
  /// Set (e.g. by a signal handler) to end the window early; the report covers what
  /// was seen until then.
  const std::atomic<bool>* stop = nullptr;
  std::string selection;       ///< how the targets were chosen, for the report
  int processes_scanned = 0;
};

/// Called after every interval with the report so far (verdicts of the window so far).
class WatchObserver {
 public:
  virtual ~WatchObserver() = default;
  virtual void on_interval(const WatchReport& so_far) = 0;
};

/// Which pool a thread belongs to, from what can be seen without stopping the process:
/// the main thread (tid == pid); PyTorch's named threads ("pt_thread_pool" and
/// "pt_interop*" run inter-op work); threads named like the main thread, which is how
/// OpenMP and OpenBLAS workers appear (they inherit the creator's name), are OpenMP
/// workers when an OpenMP runtime is mapped, else BLAS workers when a BLAS pool is;
/// anything else is "other".
ThreadKind classify_thread(int tid, const std::string& name, int pid, const std::string& main_name,
                           bool maps_openmp, bool maps_blas);

/// Watches `targets` for options.duration_s (or until *options.stop, or until every
/// target has exited), sampling every options.interval_s. Never throws for anything a target does (exit, PID reuse,
/// unreadable files): those become `exited`, notes and reasons in the report.
WatchReport watch_processes(const FsReader& fs, const std::vector<WatchTarget>& targets,
                            const WatchOptions& options, WatchObserver* observer = nullptr);

}  // namespace torchdiag
