#pragma once
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/bench_spec.h"
#include "model/inspect_report.h"
#include "model/op_profile.h"
#include "model/warning.h"

namespace torchdiag {

inline constexpr const char* kBenchSchema = "torchdiag.bench/1";

/// Latency statistics over every timed call (all streams, all repetitions), seconds.
struct LatencyStats {
  double min = 0, p10 = 0, p50 = 0, p90 = 0, p99 = 0, mean = 0, stddev = 0;
  double cv = 0;        ///< stddev / mean
  int outliers = 0;     ///< calls further than 3 scaled MADs from the median
};

/// How a spin share was obtained.
enum class SpinMethod { kSampling, kProxy, kUnavailable };
constexpr EnumNames<SpinMethod, 3> names_of(SpinMethod) {
  return {{{SpinMethod::kSampling, "sampling"}, {SpinMethod::kProxy, "proxy (extra CPU time vs 1 thread)"}, {SpinMethod::kUnavailable, "unavailable"}}};
}

/// What became of a configuration.
enum class RowStatus { kOk, kFailed, kTimeout, kSkipped };
constexpr EnumNames<RowStatus, 4> names_of(RowStatus) {
  return {{{RowStatus::kOk, "ok"}, {RowStatus::kFailed, "failed"}, {RowStatus::kTimeout, "timeout"}, {RowStatus::kSkipped, "skipped"}}};
}

/// Resource use of the worker over the timed window only (getrusage of all its threads).
struct WindowCounters {
  double cpu_time_s = 0;
  long long voluntary_switches = 0;
  long long involuntary_switches = 0;
  std::optional<CpuStat> throttle;  ///< cpu.stat delta of the worker's cgroup; nullopt: unknown
  std::string throttle_reason;      ///< why throttle is unknown
  std::vector<std::pair<std::string, double>> perf;  ///< perf event deltas, scaled
  std::vector<std::pair<std::string, std::string>> perf_unavailable;  ///< event -> reason
  bool perf_multiplexed = false;    ///< some counter was scaled for multiplexing
  bool perf_user_only = false;      ///< kernel-side counting was refused (paranoid)
  /// Share (0..1) of the window's CPU time in the OpenMP runtime (spinning or handing
  /// work over). Sampled: OpenMP samples / all samples. Proxy (set by finalize_rows):
  /// (CPU time per call - the 1-thread row's) / CPU time per call. nullopt: unknown.
  std::optional<double> spin_fraction;
  /// Share (0..1) of sampled CPU time in the kernel (futex waits, sched_yield, page
  /// faults, the scheduler); nullopt unless sampled with kernel samples allowed.
  std::optional<double> kernel_fraction;
  SpinMethod spin_method = SpinMethod::kUnavailable;
  std::string spin_reason;          ///< why sampling was not used, or its caveat
  int64_t spin_samples_total = 0;   ///< cpu-clock samples over the window, all threads
  int64_t spin_samples_openmp = 0;  ///< of which inside the OpenMP runtime's code
  int64_t spin_samples_kernel = 0;  ///< of which in kernel mode
  int64_t spin_samples_lost = 0;    ///< samples the kernel dropped (buffer full)

  /// A perf event's delta over the window, nullopt when it was not counted.
  std::optional<double> perf_value(const std::string& name) const {
    for (const auto& [n, v] : perf) {
      if (n == name) return v;
    }
    return std::nullopt;
  }
  /// perf's context-switches when counted, else getrusage's voluntary + involuntary.
  double context_switches() const {
    const auto cs = perf_value("context-switches");
    return cs ? *cs : static_cast<double>(voluntary_switches + involuntary_switches);
  }
};

/// jemalloc's own statistics (mallctl "stats.*"), bytes.
struct JemallocFigures {
  int64_t allocated = 0, active = 0, resident = 0, mapped = 0;
};

/// Memory of the worker over the timed window, sampled from /proc/PID/status.
struct MemoryFigures {
  std::vector<std::pair<double, int64_t>> rss_timeline;  ///< (seconds since timed start, bytes)
  std::optional<int64_t> peak_rss_bytes;
  std::optional<int64_t> mean_rss_bytes;
  std::optional<JemallocFigures> jemalloc;  ///< only when jemalloc was really active
};

/// jemalloc against glibc malloc for the same configuration (ratios jemalloc / glibc).
struct AllocatorComparison {
  Workload workload = Workload::kIndexSelect;
  std::optional<int> threads;  ///< nullopt: "current"
  int streams = 1;
  std::optional<double> peak_rss_ratio, mean_rss_ratio;
  double p50_ratio = 0;
  double spread = 0;  ///< the larger coefficient of variation of the two rows
  /// The p50 gap is within the rows' spread: no latency difference to claim.
  bool p50_within_spread() const { return std::abs(p50_ratio - 1) <= spread; }
};

/// Per-call latencies a bench row keeps for later comparison (JSON `latency_samples_s`).
inline constexpr size_t kKeptSamples = 10000;

/// `total` divided by `ops` calls; 0 when there were none.
inline double per_op(double total, int64_t ops) { return ops > 0 ? total / static_cast<double>(ops) : 0; }

/// One configuration's outcome: a row of the bench table.
struct BenchRow {
  BenchSpec spec;                   ///< threads_label(spec) names the thread axis
  RowStatus status = RowStatus::kOk;
  std::string error;
  std::string model_label;         ///< "builtin", a path, or "" for index_select
  int64_t iterations = 0;          ///< timed calls over all streams and repetitions
  int64_t items_per_op = 1;
  LatencyStats latency;
  /// Per-call latencies, seconds, in call order (streams one after another); at most
  /// kKeptSamples, evenly strided when there were more. `torchdiag diff` tests on them.
  std::vector<double> samples_s;
  double throughput_per_s = 0;     ///< items per second, total over streams
  std::optional<double> speedup_vs_current;  ///< current p50 / this p50
  bool best = false;
  int intra_op_threads = 0;        ///< what LibTorch really used in the worker
  int interop_threads = 0;
  bool jemalloc_active = false;    ///< mallctl answered inside the worker
  std::string torch_version;       ///< from the worker's hello
  double load_s = 0, warmup_s = 0, worker_wall_s = 0;
  WindowCounters counters;
  MemoryFigures memory;
  std::optional<ProfileSample> profile_sample;  ///< the worker's profiled ranges (for the trace file)
  std::optional<OpProfile> profile;             ///< their summary (bench --profile)
  std::vector<Warning> warnings;
};

/// The intra-op threads a row ran with: the count asked for, or the one LibTorch picked
/// by itself for "current".
inline int threads_run(const BenchRow& row) { return row.spec.threads ? *row.spec.threads : row.intra_op_threads; }

/// A whole sweep with the facts it ran under.
struct BenchReport {
  InspectReport context;           ///< CPU/cgroup facts of the machine
  std::string torch_version;
  std::string host;
  std::string date;                ///< UTC, ISO 8601
  std::string governor;            ///< scaling governor of the first online CPU (context.node), "" when unknown
  std::vector<BenchRow> rows;
  std::vector<AllocatorComparison> comparisons;
  std::vector<OpScaling> op_scaling;  ///< bench --profile: each top operator across thread counts
  std::vector<Warning> warnings;
};

}  // namespace torchdiag
