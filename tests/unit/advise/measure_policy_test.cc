#include <catch2/catch.hpp>

#include "advise/measure_policy.h"
#include "bench/row_builder.h"

using namespace torchdiag;

namespace {

constexpr Allocator kGlibc = Allocator::kGlibc;
constexpr Allocator kJemalloc = Allocator::kJemalloc;

BenchRow row(int threads, double p50_s, double items_per_s, double throttled = 0,
             Allocator allocator = kGlibc, int64_t peak_rss = 0) {
  BenchSpec spec;
  spec.threads = threads;
  spec.allocator = allocator;
  BenchRow r = failed_row(spec, RowStatus::kOk, "");
  r.iterations = 100;
  r.latency.p50 = p50_s;
  r.throughput_per_s = items_per_s;
  r.jemalloc_active = allocator == kJemalloc;
  if (throttled > 0) r.counters.throttle = CpuStat{100, static_cast<long long>(throttled * 100), 1.0};
  if (peak_rss) r.memory.peak_rss_bytes = peak_rss;
  return r;
}

}  // namespace

TEST_CASE("measured choice: the fewest threads within the tolerance of the best", "[recommend][measure]") {
  const std::vector<BenchRow> rows = {row(1, 0.010, 100), row(2, 0.0060, 160), row(4, 0.0059, 165)};
  const auto d = choose_measured_threads(rows, {false, 0.03});
  REQUIRE(d);
  CHECK(d->threads == 2);  // 4 is best, 2 is 1.7% slower: fewer threads win
  REQUIRE(d->candidates.size() == 3);
  CHECK(d->candidates[1].chosen);
  CHECK(d->candidates[2].verdict.find("uses more threads") != std::string::npos);
  CHECK(d->reason.find("p50 latency") != std::string::npos);
  const auto strict = choose_measured_threads(rows, {false, 0.0});
  CHECK(strict->threads == 4);
}

TEST_CASE("CFS throttling is penalised: a throttled faster row can lose", "[recommend][measure]") {
  // 2 threads in a 1-CPU quota: slightly faster p50 but throttled in 60% of periods.
  const std::vector<BenchRow> rows = {row(1, 0.010, 100), row(2, 0.009, 110, 0.6)};
  CHECK(choose_measured_threads(rows, {false, 0.03})->threads == 1);
  CHECK(choose_measured_threads(rows, {true, 0.03})->threads == 1);
  const std::vector<BenchRow> free_rows = {row(1, 0.010, 100), row(2, 0.006, 170)};
  CHECK(choose_measured_threads(free_rows, {true, 0.03})->threads == 2);
}

TEST_CASE("failed rows are listed as rejected and never chosen", "[recommend][measure]") {
  std::vector<BenchRow> rows = {row(1, 0.010, 100), row(2, 0.001, 1000)};
  rows[1].status = RowStatus::kFailed;
  rows[1].error = "killed by signal 11";
  const auto d = choose_measured_threads(rows, {false, 0.03});
  CHECK(d->threads == 1);
  CHECK(d->candidates.back().verdict == "rejected: killed by signal 11");
  rows[0].status = RowStatus::kTimeout;
  CHECK_FALSE(choose_measured_threads(rows, {false, 0.03}));
}

TEST_CASE("jemalloc is proposed only when a measurement showed a benefit", "[recommend][measure]") {
  const MeasureObjective o{false, 0.03};
  // Same speed, 20% less peak RSS: proposed with MALLOC_CONF.
  auto env = measured_allocator_settings(
      {row(2, 0.010, 100, 0, kGlibc, 1000), row(2, 0.010, 100, 0, kJemalloc, 800)}, 2, o, "/je.so");
  REQUIRE(env.size() == 2);
  CHECK(env[0].name == "LD_PRELOAD");
  CHECK(env[0].value == "/je.so");
  CHECK(env[0].reason.find("peak RSS -20%") != std::string::npos);
  CHECK(env[1].name == "MALLOC_CONF");
  // No gain: nothing proposed.
  CHECK(measured_allocator_settings({row(2, 0.010, 100, 0, kGlibc, 1000), row(2, 0.010, 100, 0, kJemalloc, 990)},
                                    2, o, "/je.so").empty());
  // Leaner but 10% slower: not proposed.
  CHECK(measured_allocator_settings({row(2, 0.010, 100, 0, kGlibc, 1000), row(2, 0.011, 90, 0, kJemalloc, 500)},
                                    2, o, "/je.so").empty());
  // Faster by 20%: proposed.
  CHECK(measured_allocator_settings({row(2, 0.010, 100, 0, kGlibc), row(2, 0.008, 125, 0, kJemalloc)}, 2, o,
                                    "/je.so").size() == 2);
  // Never measured, or not at the chosen thread count: nothing.
  CHECK(measured_allocator_settings({row(2, 0.010, 100)}, 2, o, "/je.so").empty());
  CHECK(measured_allocator_settings({row(1, 0.010, 100, 0, kGlibc), row(1, 0.005, 200, 0, kJemalloc)}, 2, o,
                                    "/je.so").empty());
}

TEST_CASE("a measured decision becomes the recommendation in measure mode", "[recommend][measure]") {
  RecommendInputs in;
  in.facts.usable_threads = 2;
  in.facts.affinity_cpus = 2;
  in.facts.limited_by = LimitedBy::kAffinity;
  auto evidence = std::make_shared<MeasuredEvidence>();
  evidence->decision = *choose_measured_threads({row(1, 0.010, 100), row(2, 0.009, 110, 0.6)}, {false, 0.03});
  evidence->extra = {{"LD_PRELOAD", "/je.so", SettingSource::kComputed, "measured"}};
  in.measured = evidence;
  const auto rec = recommend(in);
  CHECK(rec.mode == RecommendMode::kMeasure);
  CHECK(rec.omp_num_threads == 1);
  REQUIRE(rec.env.size() == 3);
  CHECK(rec.env[0].value == "1");
  CHECK(rec.env[1].value == "1");
  CHECK(rec.env[2].name == "LD_PRELOAD");
}
