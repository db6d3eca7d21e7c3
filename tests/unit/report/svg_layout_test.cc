// Every chart the tool draws, checked the way a reader sees it: texts inside the
// canvas, one legend entry per series, "current" as its own marker, log scale when a
// panel spans more than 10x, nice ticks in a unit chosen per axis.
#include <catch2/catch.hpp>

#include <set>

#include "report/op_profile_render.h"
#include "report/svg_chart.h"
#include "report/svg_plot.h"
#include "report/watch_render.h"
#include "unit/report/svg_layout.h"

using namespace torchdiag;
using torchdiag::testing::check_text_inside;
using torchdiag::testing::legend_entries;

namespace {

BenchRow ok_row(Workload w, std::optional<int> threads, int streams, Allocator a, double p50) {
  BenchRow r;
  r.spec.workload = w;
  r.spec.threads = threads;
  r.spec.streams = streams;
  r.spec.allocator = a;
  r.intra_op_threads = threads.value_or(2);
  r.latency.p10 = p50 * 0.9;
  r.latency.p50 = p50;
  r.latency.p90 = p50 * 1.3;
  r.throughput_per_s = streams / p50;
  return r;
}

/// Two workloads x (streams 1, 2) x (glibc, jemalloc) x threads 1, 2, 4 and current;
/// forward spans 20 ms to 900 ms.
BenchReport busy_report() {
  BenchReport r;
  r.torch_version = "1.13.1";
  r.host = "a-rather-long-host-name.example.internal";
  r.date = "2026-12-01T10:00:00Z";
  r.context.capacity.usable_threads = 2;
  for (const auto w : {Workload::kIndexSelect, Workload::kForward}) {
    for (const int s : {1, 2}) {
      for (const auto a : {Allocator::kGlibc, Allocator::kJemalloc}) {
        for (const std::optional<int> t : {std::optional<int>(1), std::optional<int>(2), std::optional<int>(4), std::optional<int>()}) {
          const double base = w == Workload::kForward ? 0.9 / t.value_or(2) / (t.value_or(2) > 2 ? 20 : 1) : 2.889e-3;
          r.rows.push_back(ok_row(w, t, s, a, base));
        }
      }
    }
  }
  r.rows.back().status = RowStatus::kFailed;  // failed rows are left out, never a crash
  return r;
}

}  // namespace

TEST_CASE("value_axis: 1-2-5 ticks in the axis's own unit, log beyond 10x", "[svg]") {
  const auto ms = value_axis({0.4e-3, 2.889e-3}, Quantity::kSeconds, true);
  CHECK_FALSE(ms.log);
  CHECK(ms.unit == "ms");
  CHECK(ms.hi == Approx(3e-3));
  std::vector<std::string> labels;
  for (const double t : ms.ticks) labels.push_back(ms.label(t));
  CHECK(labels == std::vector<std::string>{"0", "1", "2", "3"});  // 1 ms steps, not 2.889
  const auto wide = value_axis({20e-3, 900e-3}, Quantity::kSeconds, true);
  CHECK(wide.log);
  CHECK(wide.lo == Approx(0.01));
  CHECK(wide.hi == Approx(1));
  CHECK(std::set<std::string>{wide.label(wide.ticks.front()), wide.label(wide.ticks.back())} ==
        std::set<std::string>{"10", "1000"});
  const auto tiny = value_axis({1e-7, 3e-7}, Quantity::kSeconds, false);
  CHECK(tiny.unit == "us");
  CHECK(tiny.label(tiny.ticks[1]) != "0");  // never "0.0 us" ticks
  const auto mib = value_axis({100.0 * (1 << 20)}, Quantity::kBytes, false);
  CHECK(mib.unit == "MiB");
}

TEST_CASE("bench chart: small multiples, legend per series, current marked, texts inside", "[svg]") {
  const auto r = busy_report();
  const auto svg = bench_to_svg(r);
  check_text_inside(svg);
  CHECK(legend_entries(svg, "bench") == 4);  // streams 1, 2 x glibc, jemalloc, across both workloads
  size_t panels = 0;
  for (size_t at = svg.find("class=\"panel\""); at != std::string::npos; at = svg.find("class=\"panel\"", at + 1)) ++panels;
  CHECK(panels == 4);  // latency and throughput for each workload
  CHECK(svg.find("class=\"current\"") != std::string::npos);
  CHECK(svg.find("LibTorch 1.13.1, 2 usable threads, CPU quota none") != std::string::npos);
  CHECK(svg.find("log scale") != std::string::npos);  // forward spans 45x
  CHECK(svg.find("class=\"error-bar\"") != std::string::npos);
  CHECK(svg.find("2.889") == std::string::npos);  // ticks are round numbers, not a data value
}

TEST_CASE("RSS chart: a legend entry per line with its peak and mean, texts inside", "[svg]") {
  auto r = busy_report();
  for (auto& row : r.rows) {  // an ordinary sweep's short timelines are not charted
    row.memory.rss_timeline = {{0.1, int64_t{100} << 20}, {0.2, int64_t{110} << 20}};
  }
  CHECK(legend_entries(bench_to_svg(r), "rss") == 0);
  for (auto* row : {&r.rows[0], &r.rows[5]}) {
    row->spec.duration_s = 10;  // soak rows
    row->memory.rss_timeline.clear();
    for (int i = 0; i <= 40; ++i) row->memory.rss_timeline.emplace_back(0.25 * i, int64_t{300 + i} << 20);
  }
  const auto svg = bench_to_svg(r);
  check_text_inside(svg);
  CHECK(legend_entries(svg, "rss") == 2);
  CHECK(svg.find("peak 340 MiB") != std::string::npos);
  CHECK(svg.find("class=\"peak\"") != std::string::npos);
  CHECK(svg.find("class=\"mean\"") != std::string::npos);
}

TEST_CASE("op scaling and watch charts keep their texts inside", "[svg]") {
  auto r = busy_report();
  for (int i = 0; i < 10; ++i) {
    OpScaling s;
    s.name = "aten::a_long_operator_name_number_" + std::to_string(i);
    s.speedup = {{1, 1.0}, {2, 0.5 + 0.2 * i}, {4, 0.3 + 0.5 * i}};
    r.op_scaling.push_back(s);
  }
  const auto ops = op_scaling_svg(r);
  check_text_inside(ops);
  CHECK(legend_entries(ops, "ops") == 10);
  WatchReport w;
  WatchedProcess p;
  p.pid = 4242;
  p.comm = "python3";
  p.capacity.usable_threads = 2;
  for (int i = 1; i <= 10; ++i) p.timeline.push_back({1.0 * i, 3.5, 1.0, std::nullopt});
  w.processes = {p};
  check_text_inside(watch_to_svg(w));
}
