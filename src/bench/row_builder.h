#pragma once
#include <string>
#include <vector>

#include "model/bench_result.h"
#include "model/worker_result.h"

namespace torchdiag {

/// Turns what a worker measured (raw per-call latencies per repetition and stream)
/// into a row with statistics and throughput. Pure.
BenchRow row_from_worker_result(const BenchSpec& spec, const WorkerResult& result);

/// A row that did not produce numbers, with the reason.
BenchRow failed_row(const BenchSpec& spec, RowStatus status, const std::string& error);

/// Cross-row figures: speed-up relative to the "current" row of the same workload,
/// streams, inter-op and allocator; the best row (highest throughput) per workload;
/// warnings for wide spread and outliers; for rows without a sampled spin share,
/// the labelled proxy from the 1-thread row of the same group (spin_method says
/// which). Pure; call once per sweep.
void finalize_rows(std::vector<BenchRow>& rows);

/// For every configuration measured under both glibc and jemalloc: jemalloc/glibc
/// ratios of peak and mean RSS and of p50 latency. Pure.
std::vector<AllocatorComparison> compare_allocators(const std::vector<BenchRow>& rows);

}  // namespace torchdiag
