#pragma once
#include <vector>

#include "model/bench_result.h"

namespace torchdiag {

/// Linear-interpolated percentile (q in 0..1) of sorted values; 0 for an empty set.
double percentile_sorted(const std::vector<double>& sorted, double q);

/// min, p50, p90, p99, mean, sample stddev, cv and MAD outliers of the samples.
LatencyStats compute_latency_stats(std::vector<double> samples);

/// At most `n` of `values`, evenly strided, in their order (all of them when they fit).
std::vector<double> keep_evenly(const std::vector<double>& values, size_t n);

/// Coefficient of variation above which a ranking of rows is not trustworthy.
inline constexpr double kWideSpreadCv = 0.10;

}  // namespace torchdiag
