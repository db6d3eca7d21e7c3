#include "report/recommend_render.h"

#include <fmt/format.h>

#include "report/openmetrics.h"
#include "util/json_text.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

using nlohmann::ordered_json;

/// Characters that need no quoting in a shell word.
bool shell_safe(std::string_view value) {
  if (value.empty()) return false;
  for (const char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("_-.,:/@%+=").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::string render_shell(const Recommendation& rec) {
  std::string out;
  for (const auto& s : rec.env) out += fmt::format("export {}={}\n", s.name, shell_quote(s.value));
  return out;
}

std::string render_env(const Recommendation& rec) {
  std::string out;
  for (const auto& s : rec.env) out += fmt::format("{}={}\n", s.name, s.value);
  return out;
}

std::string render_docker(const Recommendation& rec) {
  std::string out;
  for (const auto& s : rec.env) {
    const std::string word = s.name + "=" + s.value;
    out +=
        fmt::format("{}-e {}", out.empty() ? "" : " ", shell_safe(word) ? word : shell_quote(word));
  }
  return out + "\n";
}

std::string render_k8s(const Recommendation& rec) {
  std::string out = "env:\n";
  for (const auto& s : rec.env) {
    out += fmt::format("- name: {}\n  value: {}\n", s.name, yaml_quote(s.value));
  }
  return out;
}

std::string render_systemd(const Recommendation& rec) {
  std::string out;
  for (const auto& s : rec.env) {
    out += fmt::format("Environment=\"{}={}\"\n", s.name, systemd_escape(s.value));
  }
  return out;
}

ordered_json facts_json(const RecommendFacts& f) {
  ordered_json j;
  j["capacity_known"] = f.capacity_known;
  j["usable_threads"] = f.usable_threads;
  j["allowed_cpus"] = f.allowed_cpus;
  j["limited_by"] = to_string(f.limited_by);
  j["quota_cpus"] = f.quota_cpus ? ordered_json(*f.quota_cpus) : ordered_json(nullptr);
  j["quota_source"] = f.quota_cpus ? ordered_json(f.quota_source) : ordered_json(nullptr);
  j["affinity"] = f.affinity ? ordered_json(*f.affinity) : ordered_json(nullptr);
  j["affinity_cpus"] = f.affinity_cpus;
  j["online_cpus"] = f.online_cpus ? ordered_json(*f.online_cpus) : ordered_json(nullptr);
  j["workers"] = f.workers;
  j["streams"] = f.streams;
  return j;
}

/// Problems first: they explain why the answer may be a fallback.
std::vector<std::string> all_warnings(const Recommendation& rec) {
  std::vector<std::string> out;
  for (const auto& p : rec.problems) out.push_back(p.message);
  for (const auto& w : rec.warnings) out.push_back(w.message);
  return out;
}

std::string text_header(const Recommendation& rec) {
  const std::string how = rec.mode == RecommendMode::kQuick ? ": from CPU and cgroup facts, nothing measured" : "";
  std::string out = fmt::format("Recommended thread settings ({} mode{})\n\n", rec.mode, how);
  for (const auto& s : rec.env) {
    out += fmt::format("  {}={}  ({})\n", s.name, s.value,
                       s.source == SettingSource::kComputed  ? "computed"
                       : s.source == SettingSource::kFollows ? "follows its partner"
                                                             : "kept from the environment");
  }
  return out;
}

std::string render_text(const Recommendation& rec, bool explain) {
  std::string out = text_header(rec) + "\n";
  if (explain) {
    out += render_explain(rec);  // its "Why this value" replaces the short one
  } else {
    out += "Why\n";
    for (const auto& s : rec.env) out += fmt::format("  {}: {}\n", s.name, s.reason);
  }
  out +=
      "\nApply it in a container entrypoint:\n"
      "  eval \"$(torchdiag recommend --format shell)\"\n"
      "or start the program with the settings (no shell involved):\n"
      "  exec torchdiag recommend --exec -- CMD ARGS...\n";
  if (!rec.problems.empty() || !rec.warnings.empty()) {
    out += "\nWarnings were printed on stderr.\n";
  }
  return out;
}

std::string fact_row(const char* name, const std::string& value, const std::string& note) {
  return fmt::format("  {:<16} {:<10} {}\n", name, value, note);
}

std::string explain_facts(const RecommendFacts& f) {
  std::string out = "Facts used\n";
  out += fact_row("usable threads", std::to_string(f.usable_threads),
                  f.capacity_known ? fmt::format("limited by {}", f.limited_by) : "unknown: the safe minimum");
  out += fact_row("allowed CPUs", std::to_string(f.allowed_cpus), "ceil(min(quota, affinity))");
  out += fact_row("CPU quota", f.quota_cpus ? fmt::format("{:.2f}", *f.quota_cpus) : "none",
                  f.quota_cpus ? f.quota_source : "no cgroup CPU limit found");
  out += fact_row("affinity", f.affinity.value_or("unknown"),
                  fmt::format("{} CPU(s) usable by the mask and cpuset", f.affinity_cpus));
  out += fact_row("online CPUs", f.online_cpus ? std::to_string(*f.online_cpus) : "unknown",
                  "the host; LibTorch's default ignores quotas");
  out += fact_row("workers", std::to_string(f.workers), "processes sharing the CPUs (--workers)");
  out += fact_row("streams", std::to_string(f.streams), "engine threads per process (--streams)");
  return out;
}

std::string explain_candidates(const std::vector<Candidate>& candidates) {
  std::string out = "Candidates (intra-op threads per process)\n";
  for (const auto& c : candidates) {
    out +=
        fmt::format("  {} {:>4}  {:<40} {}\n", c.chosen ? '*' : ' ', c.threads, c.label, c.verdict);
  }
  return out;
}

}  // namespace

const std::vector<Format>& recommend_formats() {
  static const std::vector<Format> formats = {Format::kText,   Format::kShell,  Format::kEnv,
                                              Format::kJson,   Format::kDocker, Format::kK8s,
                                              Format::kSystemd, Format::kOpenMetrics};
  return formats;
}

std::optional<std::string> render_recommendation(const Recommendation& rec, Format format,
                                                 bool explain) {
  switch (format) {
    case Format::kText: return render_text(rec, explain);
    case Format::kShell: return render_shell(rec);
    case Format::kEnv: return render_env(rec);
    case Format::kJson:
      return json_text(recommend_to_json(rec), 2) +
             "\n";
    case Format::kDocker: return render_docker(rec);
    case Format::kK8s: return render_k8s(rec);
    case Format::kSystemd: return render_systemd(rec);
    case Format::kOpenMetrics: return recommend_to_openmetrics(rec);
    case Format::kCsv:
    case Format::kMarkdown: break;
  }
  return std::nullopt;
}

nlohmann::ordered_json recommend_to_json(const Recommendation& rec) {
  ordered_json j;
  j["schema"] = kRecommendSchema;
  j["mode"] = to_string(rec.mode);
  j["omp_num_threads"] = rec.omp_num_threads;
  j["env"] = ordered_json::object();
  ordered_json reasons = ordered_json::array();
  for (const auto& s : rec.env) {
    j["env"][s.name] = s.value;
    reasons.push_back({{"name", s.name},
                       {"value", s.value},
                       {"source", setting_source_name(s.source)},
                       {"reason", s.reason}});
  }
  j["reasons"] = reasons;
  j["facts"] = facts_json(rec.facts);
  j["candidates"] = ordered_json::array();
  for (const auto& c : rec.candidates) {
    j["candidates"].push_back(
        {{"threads", c.threads}, {"label", c.label}, {"verdict", c.verdict}, {"chosen", c.chosen}});
  }
  j["warnings"] = all_warnings(rec);
  return j;
}

std::string render_explain(const Recommendation& rec) {
  std::string out = fmt::format("Evidence ({} mode)\n\n", rec.mode);
  out += explain_facts(rec.facts) + "\n";
  out += explain_candidates(rec.candidates) + "\n";
  out += "Why this value\n";
  for (const auto& s : rec.env) {
    out +=
        fmt::format("  {}={} ({}): {}\n", s.name, s.value, setting_source_name(s.source), s.reason);
  }
  return out;
}

std::string shell_quote(std::string_view value) { return "'" + escape_chars(value, {{'\'', "'\\''"}}) + "'"; }

std::string yaml_quote(std::string_view value) {
  return json_text(nlohmann::json(std::string(value)));
}

std::string systemd_escape(std::string_view value) {
  return escape_chars(value, {{'\\', "\\\\"}, {'"', "\\\""}, {'%', "%%"}, {'\n', "\\n"}, {'\t', "\\t"}});
}

}  // namespace torchdiag
