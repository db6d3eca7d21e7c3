// Reports read back from their JSON: facts by path, findings, bench rows with samples,
// and every way a file can fail to be a report.
#include "report/report_reader.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "model/inspect_report.h"
#include "report/inspect_json.h"

using namespace torchdiag;
using nlohmann::json;

namespace {

std::string fact(const ComparableReport& r, const std::string& path) {
  for (const auto& [p, v] : r.facts) {
    if (p == path) return v;
  }
  return "<missing>";
}

}  // namespace

TEST_CASE("read_report: an inspect report's facts by path, its findings, the noise left out", "[diff]") {
  InspectReport report;
  report.root = "/snap";
  report.pid = 4242;
  report.cpu.online = Fact<CpuSet>::known({0, 1, 2, 3});
  report.capacity.usable_threads = 3;
  report.env.vars = {{"OMP_NUM_THREADS", "2"}};
  report.findings = {{"cfs-throttled", Severity::kInfo, "throttled", "raise the quota", ""}};
  const auto r = read_report(inspect_to_json(report).dump(), "a.json");
  REQUIRE(r.ok());
  CHECK(r->kind == ReportKind::kInspect);
  CHECK(r->source == "a.json");
  CHECK(fact(*r, "cpu.usable_threads") == "3");
  CHECK(fact(*r, "cpu.online_list") == "0-3");
  CHECK(fact(*r, "env.OMP_NUM_THREADS") == "2");
  CHECK(fact(*r, "cpu.quota_cpus") == "none");
  CHECK(fact(*r, "root") == "<missing>");
  CHECK(std::count(r->sections.begin(), r->sections.end(), "env") == 1);  // present, though empty of leaves
  CHECK(std::count(r->sections.begin(), r->sections.end(), "torch") == 0);
  CHECK(fact(*r, "pid") == "<missing>");
  REQUIRE(r->findings.size() == 1);
  CHECK(r->findings[0].id == "cfs-throttled");
  CHECK(r->findings[0].fix == "raise the quota");
}

TEST_CASE("read_report: array elements are named by their identity, duplicates numbered", "[diff]") {
  const json watch = {{"schema", "torchdiag.watch/1"},
                      {"processes", {{{"pid", 10}, {"comm", "python3"}, {"usable_threads", 4}},
                                     {{"pid", 11}, {"comm", "python3"}, {"usable_threads", 2}},
                                     {{"pid", 12}, {"comm", "java"}, {"timeline", {1, 2, 3}}}}},
                      {"findings", json::array()}};
  const auto r = read_report(watch.dump(), "w.json");
  REQUIRE(r.ok());
  CHECK(r->kind == ReportKind::kWatch);
  CHECK(fact(*r, "processes[python3].usable_threads") == "4");
  CHECK(fact(*r, "processes[python3#2].usable_threads") == "2");
  CHECK(fact(*r, "processes[python3].pid") == "<missing>");
  CHECK(fact(*r, "processes[java].timeline") == "<missing>");
}

TEST_CASE("read_report: bench rows with their samples and warnings", "[diff]") {
  const json bench = {
      {"schema", "torchdiag.bench/1"},
      {"context", {{"cpu", {{"usable_threads", 2}}}, {"findings", json::array()}, {"date", "today"}}},
      {"results",
       {{{"workload", "forward"}, {"model", "/models/m.pt"}, {"threads", 2}, {"interop_threads", nullptr},
         {"streams", 1}, {"allocator", "jemalloc"}, {"status", "ok"}, {"latency_s", {{"p50", 0.002}}},
         {"latency_samples_s", {0.001, 0.002, 0.003}}, {"warnings", {"spread too wide"}}},
        {{"workload", "index_select"}, {"threads", nullptr}, {"streams", 2}, {"allocator", "glibc"},
         {"status", "timeout"}, {"latency_s", nullptr}}}},
      {"warnings", {"governor is powersave"}}};
  const auto r = read_report(bench.dump(), "b.json");
  REQUIRE(r.ok());
  CHECK(fact(*r, "context.cpu.usable_threads") == "2");
  CHECK(fact(*r, "context.date") == "<missing>");
  CHECK(std::count(r->sections.begin(), r->sections.end(), "context.cpu") == 1);
  REQUIRE(r->rows.size() == 2);
  CHECK(r->rows[0].spec.workload == Workload::kForward);
  CHECK(r->rows[0].spec.allocator == Allocator::kJemalloc);
  CHECK(r->rows[0].spec.threads == 2);
  CHECK(r->rows[0].model_label == "/models/m.pt");
  CHECK(r->rows[0].latency.p50 == 0.002);
  CHECK(r->rows[0].samples_s == std::vector<double>{0.001, 0.002, 0.003});
  CHECK(r->rows[0].warnings.size() == 1);
  CHECK(r->rows[1].status == RowStatus::kTimeout);
  CHECK_FALSE(r->rows[1].spec.threads);
  CHECK(r->rows[1].spec.streams == 2);
  CHECK(r->warnings == std::vector<std::string>{"governor is powersave"});
}

TEST_CASE("read_report: what is not a report says why", "[diff]") {
  const auto error = [](const std::string& text) {
    const auto r = read_report(text, "x");
    REQUIRE_FALSE(r.ok());
    return r.error();
  };
  CHECK(error("") == "empty, not a JSON report");
  CHECK(error("{\"schema\": \"torchdiag.inspect/1\", \"cpu\": {") ==
        "not JSON (truncated, or not a report written with --format json)");
  CHECK(error("CPUs\n  online 4\n").find("not JSON") == 0);
  CHECK(error("[1, 2]") == "not a torchdiag report (no \"schema\")");
  CHECK(error("{\"schema\": 3}") == "not a torchdiag report (no \"schema\")");
  CHECK(error("{\"schema\": \"torchdiag.inspect/2\"}").find("schema 'torchdiag.inspect/2' is not one this torchdiag reads") == 0);
  CHECK(error("{\"schema\": \"torchdiag.bench/1\"}") == "a bench report without 'results'");
  CHECK(error("{\"schema\": \"torchdiag.bench/1\", \"results\": [{\"workload\": \"x\"}]}").find("results[0]") == 0);
  CHECK(error("{\"schema\": \"torchdiag.bench/1\", \"results\": [{\"workload\": \"forward\", \"allocator\": "
              "\"glibc\", \"status\": \"ok\"}]}") == "results[0]: an ok row without latency_s.p50");
  CHECK(error("{\"schema\": \"torchdiag.inspect/1\", \"findings\": [{\"severity\": \"info\"}]}") ==
        "a finding without an id");
  // Nested far deeper than any report: refused, not a stack overflow.
  std::string deep = "{\"schema\": \"torchdiag.inspect/1\", \"x\": ";
  for (int i = 0; i < 100000; ++i) deep += "[";
  for (int i = 0; i < 100000; ++i) deep += "]";
  CHECK(error(deep + "}").find("nested deeper than") == 0);
}

TEST_CASE("read_report: a bench report whose context is not an object (found by fuzzing)", "[diff]") {
  const auto r = read_report(R"({"schema": "torchdiag.bench/1", "context": [1, 2], "results": []})", "x");
  REQUIRE(r.ok());
  CHECK(r->findings.empty());
  const auto s = read_report(R"({"schema": "torchdiag.inspect/1", "findings": {"id": "x"}})", "x");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error() == "'findings' is not an array");
}
