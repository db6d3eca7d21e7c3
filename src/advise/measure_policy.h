#pragma once
// The measured recommendation: pure functions from bench rows to a thread count and
// the settings the measurements support.
#include <optional>
#include <string>
#include <vector>

#include "advise/recommend_policy.h"
#include "model/bench_result.h"

namespace torchdiag {

/// What "best" means for --measure.
struct MeasureObjective {
  bool throughput = false;  ///< false: lowest p50 latency; true: highest items/s
  double tolerance = 0.03;  ///< a candidate within this fraction of the best counts as equal
};

/// What --objective names.
enum class Objective { kLatency, kThroughput };
constexpr EnumNames<Objective, 2> names_of(Objective) {
  return {{{Objective::kLatency, "latency"}, {Objective::kThroughput, "throughput"}}};
}

/// The thread counts a measurement tries: powers of two below the share of the
/// usable threads per worker x stream, that share, and the whole affinity mask per
/// worker x stream (where quota throttling shows). Sorted, unique.
std::vector<int> measure_thread_candidates(const RecommendFacts& facts);

/// Score of a row (lower is better for both objectives): p50 x (1 + throttled share)
/// for latency, 1 / (items/s x (1 - throttled share)) for throughput. CFS throttling
/// is penalised because it turns into tail latency under load.
double measured_score(const BenchRow& row, const MeasureObjective& objective);

/// The smallest thread count whose score is within the tolerance of the best, among
/// the ok glibc rows (or all ok rows when none used glibc). nullopt when no row is ok.
std::optional<ThreadDecision> choose_measured_threads(const std::vector<BenchRow>& rows,
                                                      const MeasureObjective& objective);

/// LD_PRELOAD of jemalloc (with MALLOC_CONF) when a jemalloc row at `threads` beat the
/// glibc row at the same setting: a better score beyond the tolerance, or at least 10%
/// less peak RSS without a worse score. Empty otherwise: nothing is proposed unmeasured.
std::vector<EnvSetting> measured_allocator_settings(const std::vector<BenchRow>& rows, int threads,
                                                    const MeasureObjective& objective,
                                                    const std::string& jemalloc_path);

}  // namespace torchdiag
