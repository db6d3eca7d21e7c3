#include <catch2/catch.hpp>

#include "bench/row_builder.h"
#include "report/bench_json.h"
#include "report/bench_text.h"
#include "report/op_profile_render.h"
#include "report/svg_plot.h"
#include "unit/report/svg_layout.h"

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
  CHECK(svg.find("&lt;evil &amp; co&gt;") != std::string::npos);
  CHECK(svg.find("<evil") == std::string::npos);
  CHECK(torchdiag::testing::legend_entries(svg, "bench") == 1);  // the single ok series
  auto two = sample_report();
  two.rows[1].status = RowStatus::kOk;  // a second point: now a line in each panel
  two.rows[1].latency.p50 = 0.001;
  size_t lines = 0;
  const auto svg2 = bench_to_svg(two);
  for (size_t p = svg2.find("class=\"series\""); p != std::string::npos; p = svg2.find("class=\"series\"", p + 1)) ++lines;
  CHECK(lines == 2);
  CHECK(xml_escape("a<b & 'c'") == "a&lt;b &amp; &apos;c&apos;");
}

TEST_CASE("profiled rows: JSON profile object, op_scaling, trace and SVG", "[report][profile]") {
  auto r = sample_report();
  OpProfile p;
  p.calls = 3;
  p.wall_s_per_call = 1e-3;
  p.framework_overhead_fraction = 0.25;
  p.ops = {{"aten::addmm", "", 1, 5e-4, 0.5, 0}, {"aten::relu", "", 2, 1e-4, 0.1, 0}};
  p.trace_file = "/tmp/x.trace.json";
  r.rows[0].profile = p;
  OpScaling s;
  s.workload = "forward";
  s.name = "aten::addmm";
  s.self_s = {{1, 5e-4}, {2, 2.6e-4}};
  s.speedup = {{1, 1.0}, {2, 1.92}};
  s.reading = "aten::addmm: 1.9x at 2 threads";
  r.op_scaling = {s};
  const auto j = bench_to_json(r);
  const auto& prof = j["results"][0]["profile"];
  CHECK(prof["ops"][0]["name"] == "aten::addmm");
  CHECK(prof["ops"][0]["calls"] == 1.0);
  CHECK(prof["ops"][0]["self_s_per_call"] == Approx(5e-4));
  CHECK(prof["ops"][0]["share"] == Approx(0.5));
  CHECK(prof["framework_overhead_fraction"] == Approx(0.25));
  CHECK(prof["framework_overhead_method"].get<std::string>().find("top-level operators") != std::string::npos);
  CHECK(prof["trace_file"] == "/tmp/x.trace.json");
  CHECK_FALSE(j["results"][1].contains("profile"));
  CHECK(j["op_scaling"][0]["speedup"]["2"] == Approx(1.92));
  CHECK(bench_to_text(r, false).find("aten::addmm: 1.9x at 2 threads") != std::string::npos);
  const auto csv = op_profile_csv(r);
  CHECK(csv == "config,name,shapes,calls_per_forward,self_s_per_call,share,thread\n"
               "index_select-t1-idefault-s1-glibc,aten::addmm,,1,0.0005,0.5,0\n"
               "index_select-t1-idefault-s1-glibc,aten::relu,,2,0.0001,0.1,0\n");
  const auto svg = op_scaling_svg(r);
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("class=\"legend-entry\"") != std::string::npos);
  // Without profiling: no op_scaling key, no chart.
  const auto plain = bench_to_json(sample_report());
  CHECK_FALSE(plain.contains("op_scaling"));
  CHECK(op_scaling_svg(sample_report()).empty());
}

TEST_CASE("chrome_trace: complete events with microsecond times, thread names", "[report][profile]") {
  ProfileSample s;
  s.calls = 1;
  s.events = {{"torchdiag::call", 0, 0, 100, 0, ""}, {"aten::mm", 0, 10, 80, 1, "[[2, 2], [2, 2]]"},
              {"aten::add", 1, 20, 5, 0, ""}};
  const auto j = chrome_trace(s, "forward-t1-idefault-s1-glibc");
  const auto& events = j["traceEvents"];
  REQUIRE(events.is_array());
  size_t complete = 0;
  for (const auto& e : events) {
    if (e["ph"] != "X") continue;
    ++complete;
    CHECK(e.contains("ts"));
    CHECK(e.contains("dur"));
  }
  CHECK(complete == 3);
  CHECK(events[0]["args"]["name"] == "forward-t1-idefault-s1-glibc");
  CHECK(events[2]["args"]["name"] == "thread 1");
  CHECK(events[4]["args"]["input_shapes"] == "[[2, 2], [2, 2]]");
}

TEST_CASE("bench text marks thread counts above the usable threads", "[report]") {
  auto r = sample_report();  // usable threads 2; rows at 1 (ok) and 2 (failed)
  r.rows[1].spec.threads = 4;
  const auto text = bench_to_text(r, false);
  CHECK(text.find(" 1 > usable") == std::string::npos);
  CHECK(text.find("4 > usable") != std::string::npos);
  CHECK(bench_to_markdown(r).find("| 4 > usable |") != std::string::npos);
  r.rows[0].spec.threads.reset();  // "current": what LibTorch picked counts
  r.rows[0].intra_op_threads = 8;
  CHECK(bench_to_text(r, false).find("current > usable") != std::string::npos);
}

TEST_CASE("bench text does not headline a jemalloc latency gap smaller than the spread", "[report]") {
  auto r = sample_report();
  AllocatorComparison c;
  c.workload = Workload::kForward;
  c.threads = 2;
  c.p50_ratio = 0.95;  // 5% faster...
  c.spread = 0.12;     // ...with a 12% spread
  r.comparisons = {c};
  CHECK(bench_to_text(r, false).find("p50 latency no clear difference (-5% is within the spread, cv 12%)") !=
        std::string::npos);
  r.comparisons[0].spread = 0.02;
  CHECK(bench_to_text(r, false).find("p50 latency -5%") != std::string::npos);
  CHECK(bench_to_json(r)["comparisons"][0]["p50_within_spread"] == false);
}
