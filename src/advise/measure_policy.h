#pragma once
// The measured recommendation: pure functions from the workers' bench rows to search
// results, and from a finished search to the thread decision and settings.
#include <string>
#include <vector>

#include "advise/recommend_policy.h"
#include "model/bench_result.h"
#include "model/measured_profile.h"

namespace torchdiag {

/// MALLOC_CONF proposed with the jemalloc preload: dirty pages purged in the background.
inline constexpr const char* kJemallocMallocConf = "background_thread:true,metadata_thp:auto";

/// The rows of one configuration's workers (run side by side) as one result: items/s
/// and peak RSS summed, p50 the calls-weighted mean of the workers' p50s, p99 the worst
/// worker's, throttling the largest share. Noise is twice the relative p10-p90 spread
/// over the square root of the calls (the workers' largest). Not ok when any worker failed.
PointResult point_result(const std::vector<BenchRow>& worker_rows);

/// The thread decision a finished search supports: the chosen step's threads, every step
/// as a candidate with its verdict. Without a chosen step, `quick` (the safe answer) with
/// the reason that nothing kept the constraints.
ThreadDecision decision_from_search(const SearchOutcome& search, const ThreadDecision& quick);

/// LD_PRELOAD (with MALLOC_CONF) when `chosen` runs on jemalloc; empty otherwise.
std::vector<EnvSetting> allocator_settings(const SearchPoint& chosen, const std::string& jemalloc_path,
                                           const std::string& why);

}  // namespace torchdiag
