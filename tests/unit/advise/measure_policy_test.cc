#include <catch2/catch.hpp>

#include "advise/measure_policy.h"
#include "advise/search_policy.h"
#include "bench/row_builder.h"

using namespace torchdiag;

namespace {

BenchRow row(double p50_s, double p99_s, double items_per_s, int64_t iterations = 100, int64_t peak_rss = 0,
             double throttled = 0) {
  BenchSpec spec;
  spec.threads = 2;
  BenchRow r = failed_row(spec, RowStatus::kOk, "");
  r.iterations = iterations;
  r.latency.p10 = p50_s * 0.9;
  r.latency.p50 = p50_s;
  r.latency.p90 = p50_s * 1.1;
  r.latency.p99 = p99_s;
  r.throughput_per_s = items_per_s;
  if (peak_rss) r.memory.peak_rss_bytes = peak_rss;
  if (throttled > 0) r.counters.throttle = CpuStat{100, static_cast<long long>(throttled * 100), 1.0};
  return r;
}

}  // namespace

TEST_CASE("the rows of a configuration's workers become one result", "[recommend][measure]") {
  const auto r = point_result({row(0.010, 0.020, 100, 100, 1000), row(0.020, 0.050, 50, 300, 3000, 0.25)});
  REQUIRE(r.ok);
  CHECK(r.throughput_per_s == Approx(150));          // summed over the workers
  CHECK(r.p50_s == Approx((0.010 * 100 + 0.020 * 300) / 400));  // weighted by calls
  CHECK(r.p99_s == Approx(0.050));                    // the worst worker's
  REQUIRE(r.peak_rss_bytes);
  CHECK(*r.peak_rss_bytes == 4000);                   // both workers' memory
  CHECK(r.throttled_fraction == Approx(0.25));
  CHECK(r.noise == Approx(2 * 0.2 / 10));             // 2 x (p90-p10)/p50 / sqrt(100)
}

TEST_CASE("one failed worker fails the configuration; unknown RSS stays unknown", "[recommend][measure]") {
  auto bad = row(0.010, 0.020, 100);
  bad.status = RowStatus::kTimeout;
  bad.error = "timed out after 3 s";
  const auto r = point_result({row(0.010, 0.020, 100), bad});
  CHECK_FALSE(r.ok);
  CHECK(r.error == "timeout: timed out after 3 s");
  CHECK_FALSE(point_result({}).ok);
  const auto no_rss = point_result({row(0.010, 0.020, 100, 100, 1000), row(0.010, 0.020, 100)});
  CHECK_FALSE(no_rss.peak_rss_bytes);
}

TEST_CASE("jemalloc is proposed only when the search chose it", "[recommend][measure]") {
  SearchPoint p;
  CHECK(allocator_settings(p, "/je.so", "why").empty());
  p.allocator = Allocator::kJemalloc;
  const auto env = allocator_settings(p, "/je.so", "measured 12% faster");
  REQUIRE(env.size() == 2);
  CHECK(env[0].name == "LD_PRELOAD");
  CHECK(env[0].value == "/je.so");
  CHECK(env[0].reason == "jemalloc: measured 12% faster");
  CHECK(env[1].name == "MALLOC_CONF");
  CHECK(env[1].value == kJemallocMallocConf);
  CHECK(allocator_settings(p, "", "why").empty());  // not installed: nothing to preload
}

TEST_CASE("a measured decision becomes the recommendation in measure mode", "[recommend][measure]") {
  RecommendInputs in;
  in.facts.usable_threads = 2;
  in.facts.affinity_cpus = 2;
  in.facts.limited_by = LimitedBy::kAffinity;
  auto evidence = std::make_shared<MeasuredEvidence>();
  evidence->decision.threads = 1;
  evidence->decision.reason = "measured";
  evidence->chosen = {1, 2, 1, 2, Allocator::kJemalloc};
  evidence->extra = {{"LD_PRELOAD", "/je.so", SettingSource::kComputed, "measured"}};
  evidence->search = SearchOutcome{};
  in.measured = evidence;
  const auto rec = recommend(in);
  CHECK(rec.mode == RecommendMode::kMeasure);
  CHECK(rec.omp_num_threads == 1);
  REQUIRE(rec.env.size() == 3);
  CHECK(rec.env[0].value == "1");
  CHECK(rec.env[1].value == "1");
  CHECK(rec.env[2].name == "LD_PRELOAD");
  CHECK(rec.facts.workers == 2);  // the measured deployment shape
  CHECK(rec.facts.streams == 1);
  CHECK(rec.interop_threads == 2);
  CHECK(rec.search);
}
