#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/enum_names.h"

namespace torchdiag {

/// Largest thread, stream or worker count accepted; anything above is a typo, not a plan.
inline constexpr int kMaxThreads = 4096;

/// What a configuration times.
enum class Workload { kIndexSelect, kForward };
constexpr EnumNames<Workload, 2> names_of(Workload) {
  return {{{Workload::kIndexSelect, "index_select"}, {Workload::kForward, "forward"}}};
}

/// The malloc a worker runs with: glibc's, or jemalloc preloaded.
enum class Allocator { kGlibc, kJemalloc };
constexpr EnumNames<Allocator, 2> names_of(Allocator) {
  return {{{Allocator::kGlibc, "glibc"}, {Allocator::kJemalloc, "jemalloc"}}};
}

/// One input tensor of a forward call: "8x64x32:float32".
struct InputSpec {
  std::vector<int64_t> shape;
  std::string dtype = "float32";  ///< float32 float64 float16 bfloat16 int64 int32 int8 uint8 bool
};

/// One benchmark configuration, run in one fresh worker process.
struct BenchSpec {
  Workload workload = Workload::kIndexSelect;
  std::string model;                      ///< TorchScript path; "" = built-in model
  std::vector<InputSpec> inputs;          ///< forward inputs; empty = model default
  bool freeze = false;                    ///< torch::jit::freeze + optimize_for_inference
  int64_t rows = 10000, cols = 1000, indices = 80000;  ///< index_select sizes

  std::optional<int> threads;             ///< intra-op threads; nullopt = "current" (none set)
  std::optional<int> interop_threads;     ///< nullopt = LibTorch's default
  int streams = 1;                        ///< concurrent engine threads calling the op
  Allocator allocator = Allocator::kGlibc;

  int warmup = 3;                         ///< untimed calls per stream before timing
  double min_time_s = 0.5;                ///< each repetition runs at least this long
  int repetitions = 3;
  int64_t max_iterations = 1000000;       ///< per stream and repetition
  double timeout_s = 300;                 ///< the whole worker, including model load
  double duration_s = 0;                  ///< > 0: a soak run of this length (one repetition)
  /// > 0: the timed window starts at this steady-clock time (CLOCK_MONOTONIC seconds,
  /// shared by the processes of one machine), after the warm-up: workers of one
  /// configuration run side by side start timing together. 0: right after warm-up.
  double start_at_s = 0;
  bool vary_batch = false;                ///< soak: new inputs of a random batch size per call
  std::vector<std::string> events;        ///< perf events to count; empty = defaults
  int profile_calls = 0;                  ///< > 0: after the timed window, profile up to this many calls
  bool profile_shapes = false;            ///< record operators' input shapes while profiling
  std::string test_hook;                  ///< tests only: "crash" or "hang" after warm-up
};

/// The thread axis as reports label it: the count, or "current" when torchdiag sets none.
inline std::string threads_label(const std::optional<int>& threads) {
  return threads ? std::to_string(*threads) : "current";
}
inline std::string threads_label(const BenchSpec& spec) { return threads_label(spec.threads); }

/// A configuration's name in file names: "forward-t4-idefault-s1-glibc".
inline std::string config_file_stem(const BenchSpec& spec) {
  return fmt::format("{}-t{}-i{}-s{}-{}", to_string(spec.workload), threads_label(spec),
                     spec.interop_threads ? std::to_string(*spec.interop_threads) : "default", spec.streams,
                     to_string(spec.allocator));
}

}  // namespace torchdiag
