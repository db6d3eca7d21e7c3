#include "bench/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace torchdiag {

double percentile_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

std::vector<double> keep_evenly(const std::vector<double>& values, size_t n) {
  if (values.size() <= n) return values;
  std::vector<double> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(values[i * values.size() / n]);
  return out;
}

LatencyStats compute_latency_stats(std::vector<double> samples) {
  LatencyStats s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  const double n = static_cast<double>(samples.size());
  s.min = samples.front();
  s.p50 = percentile_sorted(samples, 0.50);
  s.p10 = percentile_sorted(samples, 0.10);
  s.p90 = percentile_sorted(samples, 0.90);
  s.p99 = percentile_sorted(samples, 0.99);
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / n;
  double ss = 0;
  for (double x : samples) ss += (x - s.mean) * (x - s.mean);
  s.stddev = samples.size() > 1 ? std::sqrt(ss / (n - 1)) : 0;
  s.cv = s.mean > 0 ? s.stddev / s.mean : 0;
  std::vector<double> dev;
  dev.reserve(samples.size());
  for (double x : samples) dev.push_back(std::fabs(x - s.p50));
  std::sort(dev.begin(), dev.end());
  double mad = 1.4826 * percentile_sorted(dev, 0.5);  // scaled to a normal's sigma
  if (mad == 0) {
    // Over half the calls took exactly the median: fall back to the mean absolute
    // deviation (scaled to sigma the same way) so a lone slow call still shows.
    mad = 1.2533 * std::accumulate(dev.begin(), dev.end(), 0.0) / n;
  }
  if (mad > 0) {
    for (double x : samples) s.outliers += std::fabs(x - s.p50) > 3 * mad ? 1 : 0;
  }
  return s;
}

}  // namespace torchdiag
