#pragma once
// Whether two sets of per-call latencies differ by more than chance.
#include <optional>
#include <vector>

namespace torchdiag {

/// A Mann-Whitney U test of A against B.
struct RankTest {
  double u = 0;        ///< U of A: pairs (a, b) with a > b, ties counting one half
  double z = 0;        ///< standardised U, with continuity and tie correction
  double p_value = 1;  ///< two-sided, from the normal approximation
};

/// Fewer samples than this on either side: no test (the approximation needs them).
inline constexpr size_t kMinTestSamples = 8;

/// Two-sided Mann-Whitney U test (normal approximation, tie-corrected variance,
/// continuity correction). Non-finite samples are dropped; nullopt when either side
/// then has fewer than kMinTestSamples. O((n+m) log(n+m)).
std::optional<RankTest> mann_whitney(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace torchdiag
