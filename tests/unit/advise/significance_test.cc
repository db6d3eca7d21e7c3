// The Mann-Whitney U test that decides whether two bench rows' latencies differ.
#include "advise/significance.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace torchdiag;

namespace {

std::vector<double> lognormal(double median, double sigma, size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> z(0, sigma);
  std::vector<double> out;
  for (size_t i = 0; i < n; ++i) out.push_back(median * std::exp(z(rng)));
  return out;
}

}  // namespace

TEST_CASE("mann_whitney: U counts the pairs where A is larger, ties as one half", "[significance]") {
  // A = {1..8}, B = {11..18}: A is never larger, U = 0; swapped, U = 64.
  std::vector<double> low, high;
  for (int i = 1; i <= 8; ++i) {
    low.push_back(i);
    high.push_back(i + 10);
  }
  const auto t = mann_whitney(low, high);
  REQUIRE(t);
  CHECK(t->u == 0);
  CHECK(t->z < 0);
  CHECK(t->p_value < 0.001);
  const auto swapped = mann_whitney(high, low);
  REQUIRE(swapped);
  CHECK(swapped->u == 64);
  CHECK(swapped->p_value == Approx(t->p_value));
  // Identical sets: every pair ties, U = n*m/2.
  const auto same = mann_whitney(low, low);
  REQUIRE(same);
  CHECK(same->u == 32);
  CHECK(same->p_value > 0.9);
}

TEST_CASE("mann_whitney: the normal approximation matches a textbook value", "[significance]") {
  // n = m = 10, U = 20: mean 50, sd sqrt(10*10*21/12) = 13.229; z = (30 - 0.5)/13.229 = 2.230,
  // two-sided p = 0.0257.
  std::vector<double> a, b;
  for (int i = 0; i < 10; ++i) b.push_back(100 + i);
  // 8 of A below every B, 2 above all of B but two: U (A > B pairs) = 2 * 10 = 20.
  for (int i = 0; i < 8; ++i) a.push_back(i);
  a.push_back(200);
  a.push_back(201);
  const auto t = mann_whitney(a, b);
  REQUIRE(t);
  CHECK(t->u == 20);
  CHECK(std::abs(t->z) == Approx(2.230).epsilon(0.002));
  CHECK(t->p_value == Approx(0.0257).epsilon(0.01));
}

TEST_CASE("mann_whitney: a real shift is found, the same distribution is not", "[significance]") {
  const auto a = lognormal(1e-3, 0.1, 2000, 1);
  const auto same = lognormal(1e-3, 0.1, 2000, 2);
  const auto slower = lognormal(1.1e-3, 0.1, 2000, 3);
  CHECK(mann_whitney(a, same)->p_value > 0.01);
  CHECK(mann_whitney(a, slower)->p_value < 1e-6);
}

TEST_CASE("mann_whitney: too few samples, non-finite values and all-equal sets", "[significance]") {
  const std::vector<double> seven(7, 1.0), eight = {1, 2, 3, 4, 5, 6, 7, 8};
  CHECK_FALSE(mann_whitney(seven, eight));
  CHECK_FALSE(mann_whitney(eight, {}));
  auto with_nan = eight;
  with_nan.push_back(std::numeric_limits<double>::quiet_NaN());
  with_nan.push_back(std::numeric_limits<double>::infinity());
  const auto t = mann_whitney(with_nan, eight);
  REQUIRE(t);
  CHECK(t->u == 32);  // the two non-finite values were dropped
  const std::vector<double> flat(10, 2.0);
  const auto equal = mann_whitney(flat, flat);
  REQUIRE(equal);
  CHECK(equal->p_value == 1);
}
