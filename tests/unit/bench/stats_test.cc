#include <catch2/catch.hpp>

#include "bench/row_builder.h"
#include "bench/stats.h"
#include "model/worker_result.h"

using namespace torchdiag;

TEST_CASE("percentiles interpolate linearly between order statistics", "[bench]") {
  const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  CHECK(percentile_sorted(v, 0.0) == Approx(1));
  CHECK(percentile_sorted(v, 0.5) == Approx(5.5));
  CHECK(percentile_sorted(v, 0.9) == Approx(9.1));
  CHECK(percentile_sorted(v, 1.0) == Approx(10));
  CHECK(percentile_sorted({}, 0.5) == 0);
  CHECK(percentile_sorted({4}, 0.99) == 4);
}

TEST_CASE("latency statistics on a known vector", "[bench]") {
  const auto s = compute_latency_stats({2, 4, 4, 4, 5, 5, 7, 9});
  CHECK(s.min == 2);
  CHECK(s.mean == Approx(5));
  CHECK(s.stddev == Approx(2.138089935));  // sample standard deviation
  CHECK(s.cv == Approx(2.138089935 / 5));
  CHECK(s.p50 == Approx(4.5));
  // MAD = 0.5, scaled 0.741: 2, 7 and 9 lie more than 3 x 0.741 from the median 4.5.
  CHECK(s.outliers == 3);
}

TEST_CASE("median absolute deviation flags far calls as outliers", "[bench]") {
  std::vector<double> v(50, 1.0);
  for (size_t i = 0; i < v.size(); ++i) v[i] += 0.01 * static_cast<double>(i % 5);
  v.push_back(10.0);
  v.push_back(12.0);
  const auto s = compute_latency_stats(v);
  CHECK(s.outliers == 2);
  CHECK(s.p50 < 1.05);
}

TEST_CASE("constant samples have no spread and no outliers", "[bench]") {
  const auto s = compute_latency_stats({3, 3, 3});
  CHECK(s.stddev == 0);
  CHECK(s.cv == 0);
  CHECK(s.outliers == 0);
  CHECK(compute_latency_stats({}).mean == 0);
}

TEST_CASE("keep_evenly: all values when they fit, else an even stride in order", "[stats]") {
  const std::vector<double> few = {3, 1, 2};
  CHECK(keep_evenly(few, 10) == few);
  std::vector<double> many;
  for (int i = 0; i < 100; ++i) many.push_back(i);
  const auto kept = keep_evenly(many, 10);
  CHECK(kept == std::vector<double>{0, 10, 20, 30, 40, 50, 60, 70, 80, 90});
  CHECK(keep_evenly(many, 0).empty());
}

TEST_CASE("row_from_worker_result keeps at most kKeptSamples per-call latencies", "[stats]") {
  WorkerResult result;
  RepetitionSamples rep;
  rep.wall_s = 1;
  rep.latencies_s = {std::vector<double>(kKeptSamples, 1e-3), std::vector<double>(kKeptSamples, 2e-3)};
  result.repetitions = {rep};
  const auto row = row_from_worker_result(BenchSpec{}, result);
  CHECK(row.iterations == static_cast<int64_t>(2 * kKeptSamples));
  REQUIRE(row.samples_s.size() == kKeptSamples);
  CHECK(row.samples_s.front() == 1e-3);  // both streams, in order
  CHECK(row.samples_s.back() == 2e-3);
}
