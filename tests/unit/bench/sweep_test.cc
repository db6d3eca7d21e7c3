// The sweep runner with a fake workload: no worker, no LibTorch.
#include <catch2/catch.hpp>

#include "bench/row_builder.h"
#include "bench/sweep.h"

using namespace torchdiag;

namespace {

/// A worker "result" whose calls all take `latency_s`, `calls` per stream.
WorkerResult fake_result(double latency_s, int calls, int streams) {
  RepetitionSamples rep;
  rep.wall_s = latency_s * calls;
  rep.latencies_s.assign(static_cast<size_t>(streams), std::vector<double>(static_cast<size_t>(calls), latency_s));
  WindowCounters counters;
  counters.cpu_time_s = 1.0;
  counters.voluntary_switches = 10;
  counters.involuntary_switches = 30;
  counters.throttle = CpuStat{10, 4, 0.2};
  WorkerResult r;
  r.repetitions = {rep};
  r.items_per_op = 8;
  r.intra_op_threads = 2;
  r.interop_threads = 1;
  r.counters = counters;
  return r;
}

class Recorder : public SweepObserver {
 public:
  std::vector<std::string> events;
  void on_config_start(size_t i, size_t n, const BenchSpec&) override {
    events.push_back("start " + std::to_string(i) + "/" + std::to_string(n));
  }
  void on_config_done(size_t i, size_t, const BenchRow& r) override {
    events.push_back("done " + std::to_string(i) + " " + to_string(r.status));
  }
};

}  // namespace

TEST_CASE("rows get statistics, throughput over streams and counters", "[bench]") {
  BenchSpec spec;
  spec.streams = 2;
  const auto row = row_from_worker_result(spec, fake_result(0.01, 100, 2));
  CHECK(row.status == RowStatus::kOk);
  CHECK(row.iterations == 200);
  CHECK(row.latency.p50 == Approx(0.01));
  // 200 calls x 8 items in 1 s of wall time.
  CHECK(row.throughput_per_s == Approx(1600));
  CHECK(row.counters.involuntary_switches == 30);
  REQUIRE(row.counters.throttle);
  CHECK(row.counters.throttle->throttled_fraction() == Approx(0.4));
  CHECK(row_from_worker_result(spec, fake_result(0.01, 0, 1)).status == RowStatus::kFailed);
}

TEST_CASE("a throwing configuration fails its row and the sweep finishes", "[bench]") {
  BenchSpec base;
  const auto plan = plan_sweep(base, {Workload::kIndexSelect}, {1, 2, std::nullopt}, {1}, {Allocator::kGlibc});
  Recorder rec;
  const auto rows = run_sweep(plan, [](const BenchSpec& c) -> BenchRow {
    if (threads_label(c) == "2") throw std::runtime_error("worker exploded");
    const double latency = c.threads ? 0.01 : 0.02;  // 'current' is twice as slow
    return row_from_worker_result(c, fake_result(latency, 10, 1));
  }, &rec);
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].status == RowStatus::kFailed);
  CHECK(rows[1].error == "worker exploded");
  CHECK(rows[0].speedup_vs_current == Approx(2.0));
  CHECK(rows[2].speedup_vs_current == Approx(1.0));
  CHECK(rows[0].best);
  CHECK_FALSE(rows[2].best);
  CHECK_FALSE(rows[1].best);
  CHECK(rec.events == std::vector<std::string>{"start 0/3", "done 0 ok", "start 1/3", "done 1 failed",
                                               "start 2/3", "done 2 ok"});
}

TEST_CASE("worker environment sets thread variables and the jemalloc preload", "[bench]") {
  WorkerLaunch launch{"/w", {{"PATH", "/bin"}, {"OMP_NUM_THREADS", "7"}, {"LD_PRELOAD", "/x.so"}}, "/je.so", nullptr, false};
  BenchSpec s;
  s.threads = 3;
  s.allocator = Allocator::kJemalloc;
  auto env = worker_environment(s, launch);
  CHECK(env["OMP_NUM_THREADS"] == "3");
  CHECK(env["MKL_NUM_THREADS"] == "3");
  CHECK(env["LD_PRELOAD"] == "/je.so:/x.so");
  s.threads.reset();
  s.allocator = Allocator::kGlibc;
  env = worker_environment(s, launch);
  CHECK(env["OMP_NUM_THREADS"] == "7");  // 'current' keeps what the user has
  CHECK(env.count("MKL_NUM_THREADS") == 0);
  CHECK(env["LD_PRELOAD"] == "/x.so");
}

TEST_CASE("wide spread and outliers produce row warnings", "[bench]") {
  BenchSpec spec;
  WorkerResult r = fake_result(0.01, 20, 1);
  auto& lat = r.repetitions[0].latencies_s[0];
  lat[0] = 0.5;
  std::vector<BenchRow> rows = {row_from_worker_result(spec, r)};
  finalize_rows(rows);
  REQUIRE(rows[0].warnings.size() == 2);
  CHECK(rows[0].warnings[0].id == "wide-spread");
  CHECK(rows[0].warnings[0].message.find("spread too wide") != std::string::npos);
  CHECK(rows[0].warnings[1].id == "outliers");
  CHECK(rows[0].warnings[1].message.find("1 outlier") != std::string::npos);
}

TEST_CASE("allocator comparison: jemalloc / glibc ratios per configuration", "[bench][memory]") {
  BenchSpec spec;
  spec.threads = 2;
  auto glibc = row_from_worker_result(spec, fake_result(0.010, 10, 1));
  glibc.memory.peak_rss_bytes = 300;
  glibc.memory.mean_rss_bytes = 200;
  spec.allocator = Allocator::kJemalloc;
  auto je = row_from_worker_result(spec, fake_result(0.008, 10, 1));
  je.memory.peak_rss_bytes = 198;
  je.memory.mean_rss_bytes = 94;
  auto other_threads = je;
  other_threads.spec.threads = 1;
  const auto c = compare_allocators({glibc, je, other_threads});
  REQUIRE(c.size() == 1);  // the 1-thread jemalloc row has no glibc partner
  CHECK(threads_label(c[0].threads) == "2");
  CHECK(*c[0].peak_rss_ratio == Approx(0.66));
  CHECK(*c[0].mean_rss_ratio == Approx(0.47));
  CHECK(c[0].p50_ratio == Approx(0.8));
  je.memory.peak_rss_bytes.reset();
  const auto partial = compare_allocators({glibc, je});
  CHECK_FALSE(partial[0].peak_rss_ratio.has_value());
}
