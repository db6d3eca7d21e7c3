#include "report/report_reader.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/bench_result.h"
#include "model/inspect_report.h"
#include "model/watch_report.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

using nlohmann::json;

/// Paths (array elements written "[]") that are noise of one run, not facts of a node:
/// when and where it ran, this process's ids, counters since boot, time series.
const std::set<std::string>& skipped_paths() {
  static const std::set<std::string> skipped = {
      "schema", "root", "pid", "findings", "unavailable", "env_source", "process.threads", "cgroup.cpu_stat",
      "cgroup.pressure", "profiling.software_reason", "profiling.hardware_reason",
      // bench
      "results", "comparisons", "warnings", "context.root", "context.pid", "context.findings",
      "context.unavailable", "context.env_source", "context.process.threads", "context.cgroup.cpu_stat",
      "context.cgroup.pressure", "context.date", "context.host",
      // watch
      "processes[].pid", "processes[].timeline", "processes[].observed_s", "processes[].exited",
      "processes[].spin_samples", "processes[].notes", "processes[].verdict_reason", "processes[].groups",
      "processes[].kubernetes", "processes[].cgroup", "cgroups[].pids", "cgroups[].kubernetes",
      "cgroups[].verdict_reason", "observed_s", "interrupted", "processes_scanned", "selection"};
  return skipped;
}

/// The field that names an element of an array of objects, so the same element is
/// compared across reports whatever its position.
std::string element_name(const json& element, size_t index, std::map<std::string, int>& seen) {
  std::string name = std::to_string(index);
  for (const char* key : {"comm", "path", "kind", "library", "name"}) {
    if (!element.is_object()) break;
    const auto it = element.find(key);
    if (it != element.end() && it->is_string()) {
      name = it->get<std::string>();
      break;
    }
  }
  const int n = ++seen[name];
  return n > 1 ? fmt::format("{}#{}", name, n) : name;
}

/// A leaf as a reader sees it: strings bare, null as "none", the rest as JSON.
std::string leaf_text(const json& v) {
  if (v.is_null()) return "none";
  if (v.is_string()) return v.get<std::string>();
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// Reports nest a few levels; anything deeper is not one of them (and would cost stack).
constexpr int kMaxDepth = 16;

/// Appends the leaves of `j`; false when it nests deeper than any report does.
bool flatten(const json& j, const std::string& path, const std::string& pattern, int depth,
             std::vector<std::pair<std::string, std::string>>& out) {
  if (skipped_paths().count(pattern)) return true;
  if (depth > kMaxDepth) return false;
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      if (!flatten(value, path.empty() ? key : path + "." + key, pattern.empty() ? key : pattern + "." + key,
                   depth + 1, out)) {
        return false;
      }
    }
    return true;
  }
  const auto structured = [](const json& e) { return e.is_structured(); };
  if (j.is_array() && std::any_of(j.begin(), j.end(), structured)) {
    std::map<std::string, int> seen;
    for (size_t i = 0; i < j.size(); ++i) {
      if (!flatten(j[i], path + "[" + element_name(j[i], i, seen) + "]", pattern + "[]", depth + 1, out)) return false;
    }
    return true;
  }
  out.emplace_back(path, leaf_text(j));
  return true;
}

std::string text_field(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<int> int_field(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  const auto v = it->get<long long>();
  if (v < 0 || v > 1000000) return std::nullopt;
  return static_cast<int>(v);
}

Expected<std::vector<Finding>> read_findings(const json& j) {
  std::vector<Finding> out;
  if (j.is_null()) return out;
  if (!j.is_array()) return Expected<std::vector<Finding>>::failure("'findings' is not an array");
  for (const auto& f : j) {
    if (!f.is_object() || text_field(f, "id").empty()) {
      return Expected<std::vector<Finding>>::failure("a finding without an id");
    }
    Finding finding;
    finding.id = text_field(f, "id");
    finding.severity = parse_enum<Severity>(text_field(f, "severity")).value_or(Severity::kInfo);
    finding.message = text_field(f, "message");
    finding.fix = text_field(f, "fix");
    finding.subject = text_field(f, "subject");
    out.push_back(std::move(finding));
  }
  return out;
}

Expected<BenchRow> read_row(const json& r, size_t index) {
  const auto fail = [&](const std::string& why) {
    return Expected<BenchRow>::failure(fmt::format("results[{}]: {}", index, why));
  };
  if (!r.is_object()) return fail("not an object");
  BenchRow row;
  const auto workload = parse_enum<Workload>(text_field(r, "workload"));
  const auto allocator = parse_enum<Allocator>(text_field(r, "allocator"));
  const auto status = parse_enum<RowStatus>(text_field(r, "status"));
  if (!workload || !allocator || !status) return fail("workload, allocator or status missing or unknown");
  row.spec.workload = *workload;
  row.spec.allocator = *allocator;
  row.status = *status;
  row.spec.threads = int_field(r, "threads");
  row.spec.interop_threads = int_field(r, "interop_threads");
  row.spec.streams = int_field(r, "streams").value_or(1);
  row.model_label = text_field(r, "model");
  row.error = text_field(r, "error");
  if (row.status == RowStatus::kOk) {
    const auto lat = r.find("latency_s");
    if (lat == r.end() || !lat->is_object() || !lat->contains("p50") || !(*lat)["p50"].is_number()) {
      return fail("an ok row without latency_s.p50");
    }
    row.latency.p50 = (*lat)["p50"].get<double>();
    if (const auto it = r.find("latency_samples_s"); it != r.end() && it->is_array()) {
      row.samples_s.reserve(it->size());
      for (const auto& s : *it) {
        if (!s.is_number()) return fail("latency_samples_s holds a non-number");
        row.samples_s.push_back(s.get<double>());
      }
    }
  }
  if (const auto it = r.find("warnings"); it != r.end() && it->is_array()) {
    for (const auto& w : *it) {
      if (w.is_string()) row.warnings.push_back({"", w.get<std::string>()});
    }
  }
  return row;
}

const std::map<std::string, ReportKind>& known_schemas() {
  static const std::map<std::string, ReportKind> schemas = {
      {kInspectSchema, ReportKind::kInspect}, {kBenchSchema, ReportKind::kBench}, {kWatchSchema, ReportKind::kWatch}};
  return schemas;
}

}  // namespace

Expected<ComparableReport> read_report(std::string_view text, const std::string& source) {
  const json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) {
    return Expected<ComparableReport>::failure(
        trim(text).empty() ? "empty, not a JSON report"
                           : "not JSON (truncated, or not a report written with --format json)");
  }
  return read_report_json(j, source);
}

Expected<ComparableReport> read_report_json(const nlohmann::json& j, const std::string& source) {
  using Result = Expected<ComparableReport>;
  if (!j.is_object() || !j.contains("schema") || !j["schema"].is_string()) {
    return Result::failure("not a torchdiag report (no \"schema\")");
  }
  const auto schema = j["schema"].get<std::string>();
  const auto known = known_schemas().find(schema);
  if (known == known_schemas().end()) {
    std::vector<std::string> names;
    for (const auto& [name, kind] : known_schemas()) names.push_back(name);
    return Result::failure(fmt::format("schema '{}' is not one this torchdiag reads ({})", sanitize_utf8(schema.substr(0, 80)),
                                       join(names, ", ")));
  }
  ComparableReport report;
  report.kind = known->second;
  report.schema = schema;
  report.source = source;
  for (const auto& [key, value] : j.items()) report.sections.push_back(key);
  if (const auto context = j.find("context"); context != j.end() && context->is_object()) {
    for (const auto& [key, value] : context->items()) report.sections.push_back("context." + key);
  }
  if (!flatten(j, "", "", 0, report.facts)) {
    return Result::failure(fmt::format("nested deeper than {} levels, not a torchdiag report", kMaxDepth));
  }
  // The findings: top-level, or in a bench report's context (either may be missing or
  // of the wrong type in a file that only claims the schema).
  const auto member = [](const json& object, const char* key) -> const json* {
    if (!object.is_object()) return nullptr;
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
  };
  const json* holder = report.kind == ReportKind::kBench ? member(j, "context") : &j;
  const json* findings = holder ? member(*holder, "findings") : nullptr;
  auto parsed = read_findings(findings ? *findings : json());
  if (!parsed) return Result::failure(parsed.error());
  report.findings = std::move(*parsed);
  if (report.kind == ReportKind::kBench) {
    const auto results = j.find("results");
    if (results == j.end() || !results->is_array()) return Result::failure("a bench report without 'results'");
    for (size_t i = 0; i < results->size(); ++i) {
      auto row = read_row((*results)[i], i);
      if (!row) return Result::failure(row.error());
      report.rows.push_back(std::move(*row));
    }
    if (const auto it = j.find("warnings"); it != j.end() && it->is_array()) {
      for (const auto& w : *it) {
        if (w.is_string()) report.warnings.push_back(w.get<std::string>());
      }
    }
  }
  return report;
}

}  // namespace torchdiag
