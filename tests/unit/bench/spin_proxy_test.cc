// The spin share where sampling is unavailable: extra CPU time per call compared
// with the 1-thread row of the same group (finalize_rows), and its JSON and text.
#include <catch2/catch.hpp>

#include "bench/row_builder.h"
#include "bench/window_counters.h"
#include "report/bench_json.h"
#include "report/bench_text.h"
#include "wire/codecs.h"

using namespace torchdiag;

namespace {

/// An ok row: `threads` intra-op threads, `cpu_s` CPU time over 100 calls.
BenchRow row(std::optional<int> threads, double cpu_s, SpinMethod method = SpinMethod::kUnavailable) {
  BenchSpec spec;
  spec.workload = Workload::kForward;
  spec.threads = threads;
  BenchRow r = failed_row(spec, RowStatus::kOk, "");
  r.iterations = 100;
  r.latency.p50 = 0.01;
  r.throughput_per_s = 100;
  r.counters.cpu_time_s = cpu_s;
  r.counters.spin_method = method;
  r.counters.spin_reason = method == SpinMethod::kSampling ? "" : "cpu-clock sampling: blocked (EPERM)";
  return r;
}

}  // namespace

TEST_CASE("without sampling, spin is the extra CPU time per call vs 1 thread", "[bench][spin]") {
  std::vector<BenchRow> rows = {row(1, 1.0), row(2, 1.6), row(4, 0.8), row(std::nullopt, 2.0)};
  finalize_rows(rows);
  CHECK(rows[0].counters.spin_method == SpinMethod::kProxy);
  CHECK(*rows[0].counters.spin_fraction == Approx(0.0));
  CHECK(*rows[1].counters.spin_fraction == Approx(0.375));  // (0.016 - 0.010) / 0.016
  CHECK(*rows[2].counters.spin_fraction == Approx(0.0));    // less CPU than 1 thread: clamped
  CHECK(*rows[3].counters.spin_fraction == Approx(0.5));    // 'current' too
  CHECK(rows[1].counters.spin_reason.find("EPERM") != std::string::npos);  // why not sampled
  CHECK_FALSE(rows[1].counters.kernel_fraction.has_value());
}

TEST_CASE("a sampled spin share is kept; no 1-thread row means unavailable", "[bench][spin]") {
  auto sampled = row(2, 1.6, SpinMethod::kSampling);
  sampled.counters.spin_fraction = 0.2;
  std::vector<BenchRow> rows = {row(1, 1.0), sampled};
  finalize_rows(rows);
  CHECK(rows[1].counters.spin_method == SpinMethod::kSampling);
  CHECK(*rows[1].counters.spin_fraction == Approx(0.2));

  std::vector<BenchRow> alone = {row(2, 1.6), row(4, 2.0)};
  alone[1].spec.streams = 2;
  std::vector<BenchRow> other_group = {row(1, 1.0), alone[1]};
  finalize_rows(alone);
  CHECK(alone[0].counters.spin_method == SpinMethod::kUnavailable);
  CHECK_FALSE(alone[0].counters.spin_fraction.has_value());
  CHECK(alone[0].counters.spin_reason.find("EPERM") != std::string::npos);
  CHECK(alone[0].counters.spin_reason.find("no 1-thread row") != std::string::npos);
  finalize_rows(other_group);  // the 1-thread row has 1 stream, this one 2
  CHECK(other_group[1].counters.spin_method == SpinMethod::kUnavailable);
}

TEST_CASE("bench JSON carries spin share, method, kernel share and samples", "[report][spin]") {
  auto sampled = row(2, 1.6, SpinMethod::kSampling);
  sampled.counters.spin_fraction = 0.25;
  sampled.counters.kernel_fraction = 0.05;
  sampled.counters.spin_samples_total = 400;
  sampled.counters.spin_samples_openmp = 100;
  sampled.counters.spin_samples_kernel = 20;
  std::vector<BenchRow> rows = {row(1, 1.0), sampled, row(4, 3.2)};
  rows[2].spec.streams = 2;  // no 1-thread row with 2 streams
  finalize_rows(rows);
  const auto proxy = bench_row_to_json(rows[0]);
  const auto j = bench_row_to_json(rows[1]);
  const auto none = bench_row_to_json(rows[2]);
  for (const char* key : {"spin_fraction", "spin_method", "spin_reason", "kernel_fraction", "spin_samples"}) {
    INFO(key);
    CHECK(j.contains(key));
    CHECK(none.contains(key));
  }
  CHECK(j["spin_fraction"] == Approx(0.25));
  CHECK(j["spin_method"] == "sampling");
  CHECK(j["kernel_fraction"] == Approx(0.05));
  CHECK(j["spin_samples"] == nlohmann::json({{"total", 400}, {"openmp", 100}, {"kernel", 20}, {"lost", 0}}));
  CHECK(proxy["spin_method"] == "proxy (extra CPU time vs 1 thread)");
  CHECK(proxy["spin_fraction"] == Approx(0.0));
  CHECK(proxy["kernel_fraction"].is_null());
  CHECK(none["spin_fraction"].is_null());
  CHECK(none["spin_method"] == "unavailable");

  BenchReport report;
  report.rows = rows;
  const auto text = bench_to_text(report, true);
  CHECK(text.find(" spin") != std::string::npos);
  CHECK(text.find("25%") != std::string::npos);
  CHECK(text.find("~0%") != std::string::npos);
}

TEST_CASE("the worker's spin figures survive the JSON round trip", "[bench][spin]") {
  WindowCounters c;
  c.spin_fraction = 0.4;
  c.kernel_fraction = 0.1;
  c.spin_method = SpinMethod::kSampling;
  c.spin_samples_total = 10;
  c.spin_samples_openmp = 4;
  c.spin_samples_kernel = 1;
  c.spin_samples_lost = 2;
  const auto back = wire::counters_from_json(wire::counters_to_json(c));
  CHECK(*back.spin_fraction == Approx(0.4));
  CHECK(*back.kernel_fraction == Approx(0.1));
  CHECK(back.spin_method == SpinMethod::kSampling);
  CHECK(back.spin_samples_lost == 2);
  const auto old = wire::counters_from_json(nlohmann::json{{"cpu_time_s", 1.0}});  // a worker without spin
  CHECK(old.spin_method == SpinMethod::kUnavailable);
  CHECK_FALSE(old.spin_fraction.has_value());
}

TEST_CASE("the window probe without sampling says why", "[bench][spin]") {
  WindowCounterProbe probe({"task-clock"}, nullptr, false);
  probe.start();
  const auto c = probe.stop();
  CHECK(c.spin_method == SpinMethod::kUnavailable);
  CHECK(c.spin_reason.find("TORCHDIAG_NO_SAMPLING") != std::string::npos);
}
