#pragma once
// What `bench` and `recommend --measure` ask a sweep for, checked in one place: the
// options become a base BenchSpec, the workload and allocator lists, and a worker to
// launch. Defaults are BenchSpec's own. Errors name the option and the problem, ready
// to print as usage errors.
#include <optional>
#include <string>
#include <vector>

#include "bench/sweep.h"
#include "model/bench_spec.h"
#include "util/expected.h"

namespace torchdiag {

struct SweepOptions {
  /// Fields the command line sets directly (model, freeze, rows, cols, indices, warmup,
  /// min_time_s, repetitions, timeout_s); their defaults are the spec's.
  BenchSpec spec;
  std::vector<std::string> inputs;       ///< --input, one shape[:dtype] each
  int interop = 0;                       ///< --interop; 0 = LibTorch's default
  std::string events;                    ///< --events, comma-separated; "" = defaults
  std::optional<double> duration_s;      ///< --duration (a soak)
  bool vary_batch = false;               ///< --vary-batch
};

/// The checked base configuration every planned one is copied from.
Expected<BenchSpec> base_spec(const SweepOptions& options);

/// --workload names; an empty list gives `fallback`.
Expected<std::vector<Workload>> parse_workloads(const std::vector<std::string>& names,
                                                const std::vector<Workload>& fallback);

/// --allocator "glibc", "jemalloc" or "glibc,jemalloc"; jemalloc must be installed.
Expected<std::vector<Allocator>> parse_allocators(const std::string& text);

/// The worker found as torchdiag finds it, this environment, and jemalloc's path.
Expected<WorkerLaunch> local_worker_launch();

/// Runs `plan` in fresh workers (run_sweep with run_in_worker). TORCHDIAG_TEST_HOOK
/// ("crash@2", "hang@current") makes the worker of the matching thread count crash or
/// hang after warm-up: how tests prove a broken row does not stop a sweep.
std::vector<BenchRow> run_worker_sweep(std::vector<BenchSpec> plan, const WorkerLaunch& launch,
                                       SweepObserver* observer, double deadline_s = 0);

}  // namespace torchdiag
