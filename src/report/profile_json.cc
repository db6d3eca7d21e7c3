#include "report/profile_json.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "report/strict_json.h"
#include "util/cpu_list.h"
#include "util/json_text.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

/// Thread, inter-op, stream and worker counts.
constexpr int64_t kMaxCount = kMaxThreads;
constexpr size_t kMaxCpusetBytes = 64 * 1024;
constexpr size_t kMaxSteps = 10000;
constexpr size_t kMaxInputs = 256;
/// A profile nests 5 levels; the margin is for fields later writers of schema 1 add.
constexpr int kMaxDepth = 32;
constexpr std::string_view kSchemaPrefix = "torchdiag.profile/";

// ---- writing ---------------------------------------------------------------------

template <class T>
ordered_json or_null(const std::optional<T>& value) {
  return value ? ordered_json(*value) : ordered_json(nullptr);
}

ordered_json point_json(const SearchPoint& p) {
  return {{"threads", p.threads},
          {"interop", p.interop},
          {"streams", p.streams},
          {"workers", p.workers},
          {"allocator", to_string(p.allocator)}};
}

ordered_json result_json(const PointResult& r) {
  return {{"ok", r.ok},
          {"error", r.error},
          {"p50_s", r.p50_s},
          {"p99_s", r.p99_s},
          {"throughput_per_s", r.throughput_per_s},
          {"peak_rss_bytes", or_null(r.peak_rss_bytes)},
          {"throttled_fraction", r.throttled_fraction},
          {"noise", r.noise}};
}

ordered_json constraints_json(const Constraints& c) {
  if (!c.any()) return nullptr;
  return {{"max_p99_s", or_null(c.max_p99_s)},
          {"max_rss_bytes", or_null(c.max_rss_bytes)},
          {"min_throughput", or_null(c.min_throughput)}};
}

ordered_json settings_json(const MeasuredProfile& p) {
  ordered_json j;
  j["OMP_NUM_THREADS"] = std::to_string(p.chosen.threads);
  j["MKL_NUM_THREADS"] = std::to_string(p.chosen.threads);
  j["interop_threads"] = p.chosen.interop;
  j["streams"] = p.chosen.streams;
  j["workers"] = p.chosen.workers;
  j["allocator"] = to_string(p.chosen.allocator);
  if (!p.ld_preload.empty()) j["LD_PRELOAD"] = p.ld_preload;
  if (!p.malloc_conf.empty()) j["MALLOC_CONF"] = p.malloc_conf;
  return j;
}

ordered_json facts_json(const ProfileFacts& f) {
  ordered_json j;
  j["usable_threads"] = f.usable_threads;
  j["quota_cpus"] = or_null(f.quota_cpus);
  j["cpuset"] = or_null(f.cpuset);
  j["cpu_model"] = f.cpu_model;
  j["torch_version"] = f.torch_version;
  j["workload"] = f.workload;
  j["model"] = f.model;
  j["model_hash"] = f.model_hash;
  j["inputs"] = f.inputs;
  return j;
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

/// "" for this version's schema, else why the document is not read.
std::string schema_problem(const json& j) {
  if (!j.is_object()) return fmt::format("not a torchdiag profile (a JSON {}, not an object)", j.type_name());
  const auto it = j.find("schema");
  if (it == j.end() || !it->is_string()) return "not a torchdiag profile (no \"schema\")";
  const auto& schema = it->get_ref<const std::string&>();
  if (schema == kProfileSchema) return "";
  const std::string_view version = std::string_view(schema).substr(std::min(schema.size(), kSchemaPrefix.size()));
  if (starts_with(schema, kSchemaPrefix) && all_digits(version) && version[0] != '0' && version != "1") {
    return fmt::format("written by a newer torchdiag (schema {}); this version reads {}", shown(schema),
                       kProfileSchema);
  }
  return fmt::format("not a torchdiag profile (schema '{}')", shown(schema));
}

/// A thread, inter-op, stream or worker count.
int count_of(const JsonField& n) {
  return static_cast<int>(n.integer(1, kMaxCount, fmt::format("an integer 1..{}", kMaxCount)));
}

SearchPoint read_point(const JsonField& n) {
  SearchPoint p;
  if (!n.require_object()) return p;
  p.threads = count_of(n["threads"]);
  p.interop = count_of(n["interop"]);
  p.streams = count_of(n["streams"]);
  p.workers = count_of(n["workers"]);
  p.allocator = n["allocator"].choice<Allocator>("allocator");
  return p;
}

PointResult read_result(const JsonField& n) {
  PointResult r;
  if (!n.require_object()) return r;
  r.ok = n["ok"].flag();
  r.error = n["error"].text();
  r.p50_s = n["p50_s"].non_negative();
  r.p99_s = n["p99_s"].non_negative();
  r.throughput_per_s = n["throughput_per_s"].non_negative();
  r.peak_rss_bytes = maybe_bytes(n["peak_rss_bytes"]);
  r.throttled_fraction = n["throttled_fraction"].number(0, 1, "a number 0..1");
  r.noise = n["noise"].non_negative();
  return r;
}

SearchStep read_step(const JsonField& n) {
  SearchStep s;
  if (!n.require_object()) return s;
  s.point = read_point(n["point"]);
  s.result = read_result(n["result"]);
  s.feasible = n["feasible"].flag();
  s.verdict = n["verdict"].text();
  return s;
}

Constraints read_constraints(const JsonField& n) {
  Constraints c;
  if (n.is_null() || !n.require_object()) return c;
  c.max_p99_s = maybe_number(n["max_p99_s"], 0, kNoLimit, "a finite number >= 0");
  c.max_rss_bytes = maybe_bytes(n["max_rss_bytes"]);
  c.min_throughput = maybe_number(n["min_throughput"], 0, kNoLimit, "a finite number >= 0");
  return c;
}

/// An index into the steps, or nullopt for null.
std::optional<size_t> read_chosen(const JsonField& n, size_t steps) {
  if (n.is_null()) return std::nullopt;
  if (steps == 0) {
    n.fail("expected null ('search.steps' is empty)");
    return std::nullopt;
  }
  const auto last = static_cast<int64_t>(steps - 1);
  return static_cast<size_t>(n.integer(0, last, fmt::format("an index into 'search.steps' (0..{}) or null", last)));
}

SearchOutcome read_search(const JsonField& n) {
  SearchOutcome s;
  if (!n.require_object()) return s;
  s.objective = n["objective"].choice<Objective>("objective");
  s.constraints = read_constraints(n["constraints"]);
  const JsonField steps = n["steps"];
  const size_t count = steps.require_array(kMaxSteps, "steps");
  s.steps.reserve(count);
  for (size_t i = 0; i < count; ++i) s.steps.push_back(read_step(steps.at(i)));
  s.chosen = read_chosen(n["chosen"], count);
  s.stop_reason = n["stop_reason"].text();
  s.elapsed_s = n["elapsed_s"].non_negative();
  return s;
}

std::optional<std::string> read_cpuset(const JsonField& n) {
  if (n.is_null()) return std::nullopt;
  std::string text = n.text(kMaxCpusetBytes);
  if (const auto parsed = parse_cpu_list(text); !parsed.ok()) {
    n.fail(fmt::format("expected a CPU list or null ({})", shown(parsed.error)));
  }
  return text;
}

ProfileFacts read_facts(const JsonField& n) {
  ProfileFacts f;
  if (!n.require_object()) return f;
  f.usable_threads =
      static_cast<int>(n["usable_threads"].integer(1, kMaxCpus, fmt::format("an integer 1..{}", kMaxCpus)));
  f.quota_cpus = maybe_number(n["quota_cpus"], std::numeric_limits<double>::min(), static_cast<double>(kMaxCpus),
                              fmt::format("a number of CPUs > 0 and at most {}", kMaxCpus));
  f.cpuset = read_cpuset(n["cpuset"]);
  f.cpu_model = n["cpu_model"].text();
  f.torch_version = n["torch_version"].text();
  f.workload = to_string(n["workload"].choice<Workload>("workload"));
  f.model = n["model"].text();
  f.model_hash = n["model_hash"].text();
  const JsonField inputs = n["inputs"];
  const size_t count = inputs.require_array(kMaxInputs, "inputs");
  for (size_t i = 0; i < count; ++i) f.inputs.push_back(inputs.at(i).text());
  return f;
}

/// The settings block restates `chosen` for people and for tools that export it; a
/// file where the two disagree was edited halfway, and either reading would be a guess.
void read_settings(const JsonField& n, MeasuredProfile& p) {
  if (!n.require_object()) return;
  const std::string threads = std::to_string(p.chosen.threads);
  for (const char* name : {"OMP_NUM_THREADS", "MKL_NUM_THREADS"}) {
    if (n[name].text() != threads) n[name].fail(fmt::format("expected \"{}\", as 'chosen.threads' says", threads));
  }
  const std::pair<const char*, int> counts[] = {
      {"interop_threads", p.chosen.interop}, {"streams", p.chosen.streams}, {"workers", p.chosen.workers}};
  for (const auto& [name, value] : counts) {
    if (count_of(n[name]) != value) n[name].fail(fmt::format("expected {}, as 'chosen' says", value));
  }
  if (n["allocator"].choice<Allocator>("allocator") != p.chosen.allocator) {
    n["allocator"].fail(fmt::format("expected \"{}\", as 'chosen.allocator' says", p.chosen.allocator));
  }
  if (n["LD_PRELOAD"].present()) p.ld_preload = n["LD_PRELOAD"].text();
  if (n["MALLOC_CONF"].present()) p.malloc_conf = n["MALLOC_CONF"].text();
}

MeasuredProfile read_profile(const JsonField& root) {
  MeasuredProfile p;
  p.created = root["created"].text();
  p.chosen = read_point(root["chosen"]);
  read_settings(root["settings"], p);
  p.constraints_met = root["constraints_met"].flag();
  p.facts = read_facts(root["facts"]);
  p.search = read_search(root["search"]);
  return p;
}

}  // namespace

nlohmann::ordered_json search_to_json(const SearchOutcome& s) {
  ordered_json j;
  j["objective"] = to_string(s.objective);
  j["constraints"] = constraints_json(s.constraints);
  j["steps"] = ordered_json::array();
  for (const auto& step : s.steps) {
    j["steps"].push_back({{"point", point_json(step.point)},
                          {"result", result_json(step.result)},
                          {"feasible", step.feasible},
                          {"verdict", step.verdict}});
  }
  j["chosen"] = or_null(s.chosen);
  j["stop_reason"] = s.stop_reason;
  j["elapsed_s"] = s.elapsed_s;
  return j;
}

std::string profile_to_json_text(const MeasuredProfile& p) {
  ordered_json j;
  j["schema"] = kProfileSchema;
  j["created"] = p.created;
  j["settings"] = settings_json(p);
  j["chosen"] = point_json(p.chosen);
  j["constraints_met"] = p.constraints_met;
  j["facts"] = facts_json(p.facts);
  j["search"] = search_to_json(p.search);
  return json_text(j, 2) + "\n";
}

Expected<MeasuredProfile> parse_profile(std::string_view text) {
  using Result = Expected<MeasuredProfile>;
  if (text.size() > kMaxProfileBytes) {
    return Result::failure(fmt::format("too large ({} bytes; a profile is at most {} MiB)", text.size(), kMaxProfileBytes >> 20));
  }
  if (trim(text).empty()) return Result::failure("empty, not a torchdiag profile");
  if (auto why = json_shape_problem(text, kMaxDepth, "profile"); !why.empty()) return Result::failure(std::move(why));
  const json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return Result::failure("not valid JSON");  // shape_problem accepted it: not expected
  if (auto why = schema_problem(j); !why.empty()) return Result::failure(std::move(why));
  JsonErrors errors;
  MeasuredProfile profile = read_profile(JsonField(&j, "", errors));
  if (errors.any()) return Result::failure(errors.first());
  return profile;
}

}  // namespace torchdiag
