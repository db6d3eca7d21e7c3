#pragma once
// What one worker measured for one configuration, before any statistics: the raw
// per-call latencies and the facts beside them. Crosses the pipe as the "result"
// message (src/wire/protocol.h); bench/row_builder turns it into a BenchRow.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/bench_result.h"
#include "model/op_profile.h"

namespace torchdiag {

/// One timed repetition: its wall time and every call's latency, per stream, seconds.
struct RepetitionSamples {
  double wall_s = 0;
  std::vector<std::vector<double>> latencies_s;
};

struct WorkerResult {
  std::vector<RepetitionSamples> repetitions;
  std::optional<JemallocFigures> jemalloc;  ///< mallctl stats when jemalloc was active
  int64_t items_per_op = 1;                 ///< batch size of a forward call, 1 for index_select
  std::string model_label;                  ///< "builtin", the model path, or "" for index_select
  double load_s = 0, warmup_s = 0;
  int intra_op_threads = 0, interop_threads = 0;  ///< what LibTorch really used
  bool jemalloc_active = false;
  std::optional<WindowCounters> counters;   ///< over the timed window
  std::optional<ProfileSample> profile;     ///< the profiled calls after the window, when asked
};

}  // namespace torchdiag
