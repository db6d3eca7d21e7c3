#include "report/recommend_render.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "report/openmetrics.h"
#include "report/profile_json.h"
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

/// A Kubernetes CPU quantity: "4", "1500m".
std::string cpu_quantity(double cpus) {
  const auto milli = std::llround(cpus * 1000);
  return milli % 1000 == 0 ? std::to_string(milli / 1000) : std::to_string(milli) + "m";
}

/// A Kubernetes memory quantity: "4Gi", "512Mi", else bytes.
std::string memory_quantity(int64_t bytes) {
  for (const auto& [suffix, unit] : {std::pair<const char*, int64_t>{"Gi", int64_t{1} << 30}, {"Mi", int64_t{1} << 20}}) {
    if (bytes >= unit && bytes % unit == 0) return std::to_string(bytes / unit) + suffix;
  }
  return std::to_string(bytes);
}

std::string render_k8s(const Recommendation& rec) {
  std::string out;
  const auto& t = rec.facts.target;
  if (t.cpus || t.memory_bytes) {  // the limits the answer was computed for, to keep them together
    out += "resources:\n  limits:\n";
    if (t.cpus) out += fmt::format("    cpu: \"{}\"\n", cpu_quantity(*t.cpus));
    if (t.memory_bytes) out += fmt::format("    memory: \"{}\"\n", memory_quantity(*t.memory_bytes));
  }
  out += "env:\n";
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

/// The variable's value, or "" when the recommendation does not set it.
std::string env_value(const Recommendation& rec, const char* name) {
  for (const auto& s : rec.env) {
    if (s.name == name) return s.value;
  }
  return "";
}

/// "within" the usable threads when workers x threads fit, else "exceeding".
const char* fit_word(const Recommendation& rec) {
  const long long total = static_cast<long long>(rec.facts.workers) * rec.omp_num_threads;
  return total <= rec.facts.usable_threads ? "within" : "exceeding";
}

/// TorchServe: config.properties keys for its frontend and workers, and the environment
/// its Python workers inherit. Frontend (netty) threads stay few: they move requests, and
/// by default there are as many as the host has CPUs.
std::string render_torchserve(const Recommendation& rec) {
  const auto& f = rec.facts;
  const int netty = std::clamp(f.usable_threads / 4, 1, 4);
  std::string out = fmt::format(
      "# TorchServe config.properties: {} worker(s) x {} intra-op thread(s) {} {} usable thread(s)\n"
      "default_workers_per_model={}\nnumber_of_netty_threads={}\nnetty_client_threads={}\n"
      "# Start TorchServe with this environment; its Python workers inherit it:\n",
      f.workers, rec.omp_num_threads, fit_word(rec), f.usable_threads, f.workers, netty, netty);
  for (const auto& s : rec.env) out += fmt::format("#   {}={}\n", s.name, s.value);
  return out;
}

/// Triton's PyTorch backend: the config.pbtxt instance group and thread parameters.
std::string render_triton(const Recommendation& rec) {
  const auto& f = rec.facts;
  const auto intra = env_value(rec, "OMP_NUM_THREADS");
  return fmt::format(
      "# Triton PyTorch backend (config.pbtxt): {0} instance(s) x {1} intra-op thread(s) {4} {2} usable thread(s)\n"
      "instance_group [\n  {{\n    count: {0}\n    kind: KIND_CPU\n  }}\n]\n"
      "parameters: {{\n  key: \"INTRA_OP_THREAD_COUNT\"\n  value: {{ string_value: \"{1}\" }}\n}}\n"
      "parameters: {{\n  key: \"INTER_OP_THREAD_COUNT\"\n  value: {{ string_value: \"{3}\" }}\n}}\n",
      f.workers, intra.empty() ? std::to_string(rec.omp_num_threads) : intra, f.usable_threads,
      rec.interop_threads.value_or(1), fit_word(rec));
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
  if (f.target.any()) {
    j["target"] = {{"cpus", f.target.cpus ? ordered_json(*f.target.cpus) : ordered_json(nullptr)},
                   {"cpuset", f.target.cpuset ? ordered_json(*f.target.cpuset) : ordered_json(nullptr)},
                   {"memory_bytes", f.target.memory_bytes ? ordered_json(*f.target.memory_bytes) : ordered_json(nullptr)}};
  } else {
    j["target"] = nullptr;
  }
  return j;
}

/// Problems first: they explain why the answer may be a fallback.
std::vector<std::string> all_warnings(const Recommendation& rec) {
  std::vector<std::string> out;
  for (const auto& p : rec.problems) out.push_back(p.message);
  for (const auto& w : rec.warnings) out.push_back(w.message);
  return out;
}

std::string profile_summary(const ProfileUse& u) {
  return fmt::format("{} from {}, measured {}", to_string(u.action), u.path, u.created);
}

std::string search_summary(const SearchOutcome& s) {
  return fmt::format("{} configuration(s) searched for {} in {:.1f} s", s.steps.size(), to_string(s.objective),
                     s.elapsed_s);
}

std::string text_header(const Recommendation& rec) {
  const std::string how = rec.mode == RecommendMode::kQuick     ? ": from CPU and cgroup facts, nothing measured"
                          : rec.mode == RecommendMode::kProfile ? ": " + profile_summary(*rec.profile)
                                                                : ": " + search_summary(*rec.search);
  std::string out = fmt::format("Recommended thread settings ({} mode{})\n\n", rec.mode, how);
  for (const auto& s : rec.env) {
    out += fmt::format("  {}={}  ({})\n", s.name, s.value,
                       s.source == SettingSource::kComputed  ? "computed"
                       : s.source == SettingSource::kFollows ? "follows its partner"
                                                             : "kept from the environment");
  }
  return out;
}

/// The deployment shape a measurement (or profile) decided, beyond the variables.
std::string shape_text(const Recommendation& rec) {
  if (rec.mode == RecommendMode::kQuick) return "";
  return fmt::format("  run {} worker process(es) x {} stream(s) each; inter-op threads {} "
                     "(torch.set_num_interop_threads({}): no variable sets it)\n",
                     rec.facts.workers, rec.facts.streams, rec.interop_threads.value_or(1), rec.interop_threads.value_or(1));
}

/// How to apply the answer: the measured values or the profile, else quick mode's.
std::string apply_text(const Recommendation& rec) {
  if (!rec.apply_command.empty()) {
    return "\nApply what was measured:\n  " + rec.apply_command + "\n";
  }
  const std::string profile = rec.profile ? " --profile " + shell_quote(rec.profile->path) : "";
  return fmt::format(
      "\nApply it in a container entrypoint:\n"
      "  eval \"$(torchdiag recommend{0} --format shell)\"\n"
      "or start the program with the settings (no shell involved):\n"
      "  exec torchdiag recommend{0} --exec -- CMD ARGS...\n",
      profile);
}

std::string render_text(const Recommendation& rec, bool explain) {
  std::string out = text_header(rec) + shape_text(rec) + "\n";
  if (explain) {
    out += render_explain(rec);  // its "Why this value" replaces the short one
  } else {
    out += "Why\n";
    for (const auto& s : rec.env) out += fmt::format("  {}: {}\n", s.name, s.reason);
  }
  out += apply_text(rec);
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
  if (f.target.any()) {
    std::vector<std::string> parts;
    if (f.target.cpus) parts.push_back(fmt::format("--cpus {:g}", *f.target.cpus));
    if (f.target.cpuset) parts.push_back("--cpuset " + *f.target.cpuset);
    if (f.target.memory_bytes) parts.push_back(fmt::format("--memory {}", *f.target.memory_bytes));
    out += fact_row("target", "another", "the container described by " + join(parts, ", ") + ", not this one");
  }
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

std::string explain_search(const SearchOutcome& s) {
  std::string out = fmt::format("Search path ({}; {})\n", search_summary(s), s.stop_reason);
  if (s.constraints.any()) {
    std::vector<std::string> parts;
    if (s.constraints.max_p99_s) parts.push_back(fmt::format("p99 <= {:.2f} ms", 1e3 * *s.constraints.max_p99_s));
    if (s.constraints.max_rss_bytes) parts.push_back("RSS <= " + mib_text(*s.constraints.max_rss_bytes));
    if (s.constraints.min_throughput) parts.push_back(fmt::format("throughput >= {:g} items/s", *s.constraints.min_throughput));
    out += "  constraints: " + join(parts, ", ") + "\n";
  }
  for (size_t i = 0; i < s.steps.size(); ++i) {
    const auto& st = s.steps[i];
    const auto figures = st.result.ok ? fmt::format("{:9.1f} items/s  p50 {:7.2f} ms  p99 {:7.2f} ms",
                                                    st.result.throughput_per_s, 1e3 * st.result.p50_s, 1e3 * st.result.p99_s)
                                      : std::string("failed");
    out += fmt::format("  {} {:>2}. {:<52} {}  {}\n", s.chosen == i ? '*' : ' ', i + 1, describe_point(st.point),
                       figures, st.verdict);
  }
  return out;
}

}  // namespace

const std::vector<Format>& recommend_formats() {
  static const std::vector<Format> formats = {Format::kText,    Format::kShell,       Format::kEnv,
                                              Format::kJson,    Format::kDocker,      Format::kK8s,
                                              Format::kSystemd, Format::kOpenMetrics, Format::kTorchServe,
                                              Format::kTriton};
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
    case Format::kTorchServe: return render_torchserve(rec);
    case Format::kTriton: return render_triton(rec);
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
  j["interop_threads"] = rec.interop_threads ? ordered_json(*rec.interop_threads) : ordered_json(nullptr);
  j["search"] = rec.search ? ordered_json(search_to_json(*rec.search)) : ordered_json(nullptr);
  if (rec.profile) {
    j["profile"] = {{"path", rec.profile->path},
                    {"action", to_string(rec.profile->action)},
                    {"created", rec.profile->created},
                    {"differences", rec.profile->differences},
                    {"rule", rec.profile->rule}};
  } else {
    j["profile"] = nullptr;
  }
  j["apply_command"] = rec.apply_command.empty() ? ordered_json(nullptr) : ordered_json(rec.apply_command);
  j["warnings"] = all_warnings(rec);
  return j;
}

std::string render_explain(const Recommendation& rec) {
  std::string out = fmt::format("Evidence ({} mode)\n\n", rec.mode);
  out += explain_facts(rec.facts) + "\n";
  // A search lists every configuration it measured: its path is the candidates table.
  out += (rec.search ? explain_search(*rec.search) : explain_candidates(rec.candidates)) + "\n";
  if (rec.profile) {
    out += fmt::format("Profile\n  {}\n  {}\n", profile_summary(*rec.profile), rec.profile->rule);
    for (const auto& d : rec.profile->differences) out += "  differs: " + d + "\n";
    out += "\n";
  }
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
