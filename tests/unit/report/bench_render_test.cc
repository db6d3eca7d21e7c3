#include <catch2/catch.hpp>

#include "bench/row_builder.h"
#include "report/bench_json.h"
#include "report/bench_text.h"
#include "report/svg_plot.h"

using namespace torchdiag;

namespace {

BenchReport sample_report() {
  BenchReport r;
  r.torch_version = "1.13.1";
  r.host = "node-1";
  r.date = "2026-01-01T00:00:00Z";
  r.context.capacity.usable_threads = 2;
  BenchSpec spec;
  BenchRow ok = failed_row(spec, RowStatus::kOk, "");
  ok.spec.threads = 1;
  ok.iterations = 10;
  ok.latency.p50 = 0.002;
  ok.latency.min = 0.001;
  ok.throughput_per_s = 500;
  ok.samples_s = {0.001, 0.002, 0.003};
  ok.counters.cpu_time_s = 0.05;
  ok.counters.involuntary_switches = 20;
  BenchRow bad = failed_row(spec, RowStatus::kFailed, "killed by signal 11, \"core\"");
  bad.spec.threads = 2;
  r.rows = {ok, bad};
  finalize_rows(r.rows);
  return r;
}

}  // namespace

TEST_CASE("bench JSON has the contract keys", "[report]") {
  const auto j = bench_to_json(sample_report());
  CHECK(j["schema"] == "torchdiag.bench/1");
  CHECK(j["context"]["host"] == "node-1");
  CHECK(j["context"]["cpu"]["usable_threads"] == 2);
  const auto& ok = j["results"][0];
  for (const char* key : {"workload", "model", "threads", "threads_label", "interop_threads", "streams", "allocator",
                          "status", "error", "iterations", "latency_s", "throughput_per_s", "cpu_time_per_op_s",
                          "context_switches_per_op", "throttled_fraction", "throttled_s_per_op"}) {
    INFO(key);
    CHECK(ok.contains(key));
  }
  CHECK(ok["latency_s"]["p50"] == Approx(0.002));
  CHECK(ok["latency_samples_s"] == nlohmann::json{0.001, 0.002, 0.003});
  CHECK(ok["cpu_time_per_op_s"] == Approx(0.005));
  CHECK(ok["context_switches_per_op"] == Approx(2.0));
  const auto& bad = j["results"][1];
  CHECK(bad["status"] == "failed");
  CHECK(bad["latency_s"].is_null());
  CHECK(bad["latency_samples_s"].empty());
  CHECK(bad["error"] == "killed by signal 11, \"core\"");
}

TEST_CASE("bench CSV: fixed header, quoted fields, one line per row", "[report]") {
  const auto csv = bench_to_csv(sample_report());
  CHECK(csv.rfind(bench_csv_header() + "\n", 0) == 0);
  CHECK(csv.find("\"killed by signal 11, \"\"core\"\"\"") != std::string::npos);
  size_t lines = 0;
  for (char c : csv) lines += c == '\n';
  CHECK(lines == 3);
  // Every line has as many fields as the header (23): count unquoted commas.
  const auto ok_line = csv.substr(csv.find('\n') + 1, csv.find('\n', csv.find('\n') + 1) - csv.find('\n') - 1);
  CHECK(std::count(ok_line.begin(), ok_line.end(), ',') == 22);
}

TEST_CASE("bench text marks the best row and shows failures", "[report]") {
  const auto text = bench_to_text(sample_report(), false);
  CHECK(text.find(" *1 ") != std::string::npos);
  CHECK(text.find("failed: killed by signal 11") != std::string::npos);
  CHECK(text.find("2.000 ms") != std::string::npos);
  CHECK(text.find("LibTorch 1.13.1") != std::string::npos);
  CHECK(format_duration(2.5) == "2.500 s");
  CHECK(format_duration(0.0000125) == "12.5 us");
}

TEST_CASE("SVG is escaped and has one line per series", "[report]") {
  auto r = sample_report();
  r.host = "<evil & co>";
  const auto svg = bench_to_svg(r);
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);
  size_t lines = 0;
  for (size_t p = svg.find("class=\"series\""); p != std::string::npos; p = svg.find("class=\"series\"", p + 1)) ++lines;
  CHECK(lines == 2);  // one per panel for the single ok series
  CHECK(xml_escape("a<b & 'c'") == "a&lt;b &amp; &apos;c&apos;");
}
