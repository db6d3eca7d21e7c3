#include "advise/significance.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace torchdiag {

std::optional<RankTest> mann_whitney(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<std::pair<double, bool>> all;  // (value, from A)
  all.reserve(a.size() + b.size());
  for (const double v : a) {
    if (std::isfinite(v)) all.emplace_back(v, true);
  }
  const size_t n1 = all.size();
  for (const double v : b) {
    if (std::isfinite(v)) all.emplace_back(v, false);
  }
  const size_t n2 = all.size() - n1;
  if (n1 < kMinTestSamples || n2 < kMinTestSamples) return std::nullopt;
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first < y.first; });

  // Average ranks over runs of ties; the runs also give the variance correction.
  const double n = static_cast<double>(all.size());
  double rank_sum_a = 0, tie_term = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    size_t from_a = 0;
    while (j < all.size() && all[j].first == all[i].first) from_a += all[j++].second ? 1 : 0;
    const double t = static_cast<double>(j - i);
    const double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    rank_sum_a += mean_rank * static_cast<double>(from_a);
    tie_term += t * t * t - t;
    i = j;
  }
  const double m1 = static_cast<double>(n1), m2 = static_cast<double>(n2);
  RankTest test;
  test.u = rank_sum_a - m1 * (m1 + 1) / 2;
  const double mean = m1 * m2 / 2;
  const double variance = m1 * m2 / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (variance <= 0) return test;  // every value equal: no evidence of a difference
  const double gap = std::abs(test.u - mean);
  test.z = std::copysign(std::max(gap - 0.5, 0.0), test.u - mean) / std::sqrt(variance);
  test.p_value = std::erfc(std::abs(test.z) / std::sqrt(2.0));
  return test;
}

}  // namespace torchdiag
