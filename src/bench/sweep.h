#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench/plan.h"
#include "model/bench_result.h"

namespace torchdiag {

/// Progress of a sweep; the runner never prints.
class SweepObserver {
 public:
  virtual ~SweepObserver() = default;
  virtual void on_config_start(size_t index, size_t total, const BenchSpec& config) = 0;
  virtual void on_config_done(size_t index, size_t total, const BenchRow& row) = 0;
};

/// Runs one configuration; the real one starts a worker, tests pass fakes.
using ConfigRunner = std::function<BenchRow(const BenchSpec&)>;

/// Runs every configuration in order (one failing never stops the rest), then
/// finalize_rows. `observer` may be null. With `deadline_s` > 0 the sweep is over that
/// many seconds after it started, whatever the workload does: each configuration's
/// timeout is cut to the time left, and configurations not started by then become
/// "skipped" rows.
std::vector<BenchRow> run_sweep(const std::vector<BenchSpec>& plan, const ConfigRunner& run,
                                SweepObserver* observer, double deadline_s = 0);

/// How often the worker's RSS is sampled during the timed window, seconds.
inline constexpr double kRssIntervalS = 0.1;

/// How to start a worker for a configuration.
struct WorkerLaunch {
  std::string worker_path;
  std::map<std::string, std::string> base_env;  ///< the environment "current" runs with
  std::string jemalloc_path;                    ///< for Allocator::kJemalloc
  /// Called with the worker's pid right after it started, before it loads anything heavy
  /// (e.g. to move it into a cgroup); a non-empty return fails the row with that reason.
  std::function<std::string(int pid)> place;
  /// Workers without address-space randomisation (SpawnOptions::fixed_layout): for
  /// comparing configurations, whose differences would drown in layout luck otherwise.
  bool fixed_layout = false;
};

/// The worker's environment: base_env, plus OMP_NUM_THREADS and MKL_NUM_THREADS when
/// the spec sets threads (as a deployment would), plus LD_PRELOAD for jemalloc.
std::map<std::string, std::string> worker_environment(const BenchSpec& spec, const WorkerLaunch& launch);

/// Runs one configuration in a fresh torchdiag-worker. Crashes, timeouts, OOM kills
/// and model errors become failed rows with the reason.
BenchRow run_in_worker(const BenchSpec& config, const WorkerLaunch& launch);

/// Runs `workers` fresh workers of one configuration side by side (a server's worker
/// processes), started together; one row per worker, in start order.
std::vector<BenchRow> run_worker_group(const BenchSpec& config, int workers, const WorkerLaunch& launch);

}  // namespace torchdiag
