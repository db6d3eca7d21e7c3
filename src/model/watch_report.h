#pragma once
// What `torchdiag watch` saw of running processes over a window, and its verdicts.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/capacity.h"
#include "model/enum_names.h"
#include "model/finding.h"
#include "model/pod_identity.h"
#include "model/torch_facts.h"

namespace torchdiag {

inline constexpr const char* kWatchSchema = "torchdiag.watch/1";

/// The judgement on a process or a cgroup over the window (rules in advise/watch_rules.h).
enum class Verdict { kOversubscribed, kUndersubscribed, kOk, kIdle, kExited };
constexpr EnumNames<Verdict, 5> names_of(Verdict) {
  return {{{Verdict::kOversubscribed, "oversubscribed"},
           {Verdict::kUndersubscribed, "undersubscribed"},
           {Verdict::kOk, "ok"},
           {Verdict::kIdle, "idle"},
           {Verdict::kExited, "exited"}}};
}

/// Which pool a thread belongs to, as far as names and mapped libraries tell.
enum class ThreadKind { kMain, kOpenmp, kInterop, kBlas, kOther };
constexpr EnumNames<ThreadKind, 5> names_of(ThreadKind) {
  return {{{ThreadKind::kMain, "main"},
           {ThreadKind::kOpenmp, "openmp"},
           {ThreadKind::kInterop, "interop"},
           {ThreadKind::kBlas, "blas"},
           {ThreadKind::kOther, "other"}}};
}

/// Scheduling figures over a window, for a process, a thread group or one interval.
/// Rates are per second of wall time; "runnable" counts running plus waiting threads.
struct SchedFigures {
  double runnable_threads_mean = 0;       ///< sum of (on-CPU + run-queue wait) / wall
  double cpu_used_cpus = 0;               ///< on-CPU time / wall
  double runqueue_wait_fraction = 0;      ///< wait / (on-CPU + wait)
  double involuntary_switches_per_s = 0;
  double voluntary_switches_per_s = 0;
  long long migrations = 0;               ///< se.nr_migrations deltas (sched file)
};

/// Threads of one process with the same name and kind.
struct ThreadGroup {
  ThreadKind kind = ThreadKind::kOther;
  std::string name;
  int threads = 0;  ///< at the last sample
  SchedFigures figures;
};

/// A thread pool in the process: its kind, the library that runs it ("" when none is
/// known) and how many threads it has.
struct PoolThreads {
  ThreadKind kind = ThreadKind::kOther;
  std::string library;
  int threads = 0;
};

/// One sampling interval of a process.
struct TimelinePoint {
  double t_s = 0;  ///< end of the interval, from the first sample
  double runnable = 0;
  double cpu_used_cpus = 0;
  std::optional<double> throttled;  ///< share of CFS periods throttled in the interval
};

/// One watched process.
struct WatchedProcess {
  int pid = 0;
  std::string comm;
  std::string cmdline;        ///< arguments joined by spaces, at most 4 KiB
  std::string cgroup;         ///< cgroup path, as in /proc/PID/cgroup
  PodIdentity pod;            ///< Kubernetes pod and container, when they can be told
  Capacity capacity;          ///< from the process's own quota, cpuset and affinity
  std::optional<double> quota_cpus;
  int affinity_cpus = 0;
  std::map<std::string, std::string> thread_env;  ///< OMP_NUM_THREADS & co. ("" error when unreadable)
  std::string env_error;
  std::vector<ThreadPoolLib> threadpools;  ///< mapped thread-pool libraries
  std::vector<std::string> frameworks;     ///< "libtorch", "onnxruntime" when mapped
  std::string allocator;

  int threads = 0;  ///< at the last sample
  int pool_threads = 0;  ///< the intra-op team: OpenMP workers + the main thread, else the env's count, else all threads
  SchedFigures figures;
  bool schedstat = true;  ///< false: runnable from R-state sampling, CPU from utime/stime
  std::optional<double> throttled_fraction;  ///< share of the cgroup's CFS periods throttled
  long long throttled_periods = 0;
  long long periods = 0;
  double throttled_s = 0;
  std::string throttle_source;  ///< the cpu.stat file, or why there is none
  std::optional<double> pressure_some_fraction;  ///< the cgroup's cpu.pressure "some" share of the window
  std::optional<double> spin_fraction;  ///< CPU samples in the OpenMP runtime's code
  std::string spin_reason;              ///< why spin_fraction is null
  long long spin_samples = 0;

  double observed_s = 0;  ///< wall time covered by complete intervals
  bool exited = false;    ///< it ended (or its PID was reused) during the watch
  double oversubscription_ratio = 0;  ///< runnable_threads_mean / usable_threads
  Verdict verdict = Verdict::kOk;
  std::string verdict_reason;

  std::vector<ThreadGroup> groups;
  std::vector<PoolThreads> pools;
  std::vector<TimelinePoint> timeline;
  std::vector<std::string> notes;  ///< parts that could not be read, and why
};

/// The watched processes of one cgroup, summed against its usable threads.
struct WatchedCgroup {
  std::string path;
  PodIdentity pod;  ///< of its first process (the container id and name dropped)
  std::vector<int> pids;
  int usable_threads = 1;
  int pool_threads = 0;              ///< sum of the processes' pool_threads
  double runnable_threads_mean = 0;  ///< sum over the processes
  double cpu_used_cpus = 0;
  double runqueue_wait_fraction = 0; ///< the processes' shares, weighted by runnable threads
  std::optional<double> throttled_fraction;
  double oversubscription_ratio = 0;
  Verdict verdict = Verdict::kOk;
  std::string verdict_reason;
};

/// Everything `torchdiag watch` reports.
struct WatchReport {
  double duration_s = 0;  ///< asked for
  double interval_s = 0;
  double observed_s = 0;  ///< wall time from the first to the last sample
  bool interrupted = false;  ///< ended early by a signal
  std::string selection;     ///< "--pid 12 34", "--all", "--all --match REGEX"
  int processes_scanned = 0; ///< with --all: processes looked at
  std::vector<WatchedProcess> processes;
  std::vector<WatchedCgroup> cgroups;
  std::vector<Finding> findings;
};

}  // namespace torchdiag
