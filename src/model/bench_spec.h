#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace torchdiag {

/// One input tensor of a forward call: "8x64x32:float32".
struct InputSpec {
  std::vector<int64_t> shape;
  std::string dtype = "float32";  ///< float32 float64 float16 bfloat16 int64 int32 int8 uint8 bool
};

/// One benchmark configuration, run in one fresh worker process.
struct BenchSpec {
  std::string workload = "index_select";  ///< "index_select" or "forward"
  std::string model;                      ///< TorchScript path; "" = built-in model
  std::vector<InputSpec> inputs;          ///< forward inputs; empty = model default
  bool freeze = false;                    ///< torch::jit::freeze + optimize_for_inference
  int64_t rows = 10000, cols = 1000, indices = 80000;  ///< index_select sizes

  std::optional<int> threads;             ///< intra-op threads; nullopt = "current"
  std::optional<int> interop_threads;     ///< nullopt = LibTorch's default
  int streams = 1;                        ///< concurrent engine threads calling the op
  std::string allocator = "glibc";        ///< "glibc" or "jemalloc" (preloaded)

  int warmup = 3;                         ///< untimed calls per stream before timing
  double min_time_s = 0.5;                ///< each repetition runs at least this long
  int repetitions = 3;
  int64_t max_iterations = 1000000;       ///< per stream and repetition
  double timeout_s = 120;                 ///< the whole worker, including model load
  double duration_s = 0;                  ///< > 0: a soak run of this length (one repetition)
  bool vary_batch = false;                ///< soak: new inputs of a random batch size per call
  std::vector<std::string> events;        ///< perf events to count; empty = defaults
  std::string test_hook;                  ///< tests only: "crash" or "hang" after warm-up
};

}  // namespace torchdiag
