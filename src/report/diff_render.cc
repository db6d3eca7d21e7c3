#include "report/diff_render.h"

#include <fmt/format.h>

#include "report/bench_text.h"
#include "report/format.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

using nlohmann::json;

/// Report values come from files anyone could have written: one printable line, cut.
std::string shown(std::string_view value, size_t max = 160) {
  std::string out = printable(value);
  if (out.size() > max) out = out.substr(0, max) + "...";
  return sanitize_utf8(out);
}

std::string p_text(const ConfigComparison& c) {
  if (!c.p_value) return c.a_status == RowStatus::kOk && c.b_status == RowStatus::kOk ? "untested" : "-";
  return *c.p_value < 0.001 ? "<0.001" : fmt::format("{:.3f}", *c.p_value);
}

std::string side_p50(RowStatus status, double p50) {
  return status == RowStatus::kOk ? format_duration(p50) : std::string(to_string(status));
}

std::string verdict(const ConfigComparison& c) {
  if (c.a_status != c.b_status) return "status differs";
  if (c.a_status != RowStatus::kOk) return "both " + std::string(to_string(c.a_status));
  if (c.matters) return c.ratio > 1 ? "B slower" : "B faster";
  if (c.significant) return "significant, small";
  if (!c.p_value) return "no samples to test";
  return "within noise";
}

const char* title(DiffCategory c) {
  switch (c) {
    case DiffCategory::kCapacity: return "Capacity";
    case DiffCategory::kThreads: return "Threads";
    case DiffCategory::kFindings: return "Findings on one side only";
    case DiffCategory::kSecurity: return "Speculation and seccomp";
    case DiffCategory::kCpu: return "CPU model and frequency";
    case DiffCategory::kKernel: return "Kernel and runtime";
    case DiffCategory::kOther: break;
  }
  return "Other";
}

size_t others(const DiffReport& d) {
  size_t n = 0;
  for (const auto& f : d.differences) n += f.category == DiffCategory::kOther ? 1 : 0;
  return n;
}

std::string header(const DiffReport& d) {
  return fmt::format("torchdiag diff ({}): A = {}, B = {}\n", to_string(d.kind), shown(d.a_source), shown(d.b_source));
}

std::string summary(const DiffReport& d, bool verbose) {
  const size_t n = d.mattering(), rest = others(d);
  if (n == 0 && rest == 0 && d.configs.empty()) return "No differences.\n";
  std::string out = n == 0 ? "No difference that matters" : fmt::format("{} difference(s) that matter", n);
  if (rest) out += fmt::format(", {} other(s){}", rest, verbose ? "" : " (-v lists them)");
  if (!d.configs.empty()) out += fmt::format("; {} configuration(s) in both", d.configs.size());
  return out + ".\n";
}

}  // namespace

std::string diff_to_text(const DiffReport& d, bool verbose) {
  std::string out = header(d) + summary(d, verbose);
  std::optional<DiffCategory> current;
  for (const auto& f : d.differences) {
    if (f.category == DiffCategory::kOther && !verbose) break;
    if (f.category != current) {
      current = f.category;
      out += fmt::format("\n{}\n", title(f.category));
    }
    const auto a = shown(f.a), b = shown(f.b);
    if (a.size() + b.size() <= 48) out += fmt::format("  {}: A {} | B {}\n", shown(f.path), a, b);
    else out += fmt::format("  {}\n    A: {}\n    B: {}\n", shown(f.path), a, b);
    // A run of differences with one reason (the vulnerabilities) states it once, after the run.
    const bool last_of_run = &f == &d.differences.back() || (&f + 1)->why != f.why || (&f + 1)->category != f.category;
    if (!f.why.empty() && last_of_run) out += "    " + shown(f.why, 300) + "\n";
  }
  if (!d.configs.empty() || !d.only_in_a.empty() || !d.only_in_b.empty()) {
    out += "\nConfigurations (p50 of A and B, B/A, p of the test)\n";
    size_t width = 6;
    for (const auto& c : d.configs) width = std::max(width, shown(c.key).size());
    for (const auto& c : d.configs) {
      out += fmt::format("  {:<{}}  {:>10}  {:>10}  {:>6}  {:>8}  {}\n", shown(c.key), width,
                         side_p50(c.a_status, c.a_p50_s), side_p50(c.b_status, c.b_p50_s),
                         c.ratio > 0 ? fmt::format("{:.2f}", c.ratio) : "-", p_text(c), verdict(c));
    }
    for (const auto& k : d.only_in_a) out += "  only in A: " + shown(k) + "\n";
    for (const auto& k : d.only_in_b) out += "  only in B: " + shown(k) + "\n";
    out += "  " + d.method + "\n";
    for (const auto& c : d.configs) {
      for (const auto& n : c.noise) out += fmt::format("  noise: {}: {}\n", shown(c.key), shown(n, 300));
    }
  }
  for (const auto& n : d.noise) out += "  noise: " + shown(n, 300) + "\n";
  return out;
}

std::string diff_to_markdown(const DiffReport& d, bool verbose) {
  const auto cell = [](std::string_view v) {
    return markdown_cell(shown(v));
  };
  std::string out = fmt::format("**torchdiag diff** ({}): A = `{}`, B = `{}`\n\n{}", to_string(d.kind),
                                cell(d.a_source), cell(d.b_source), summary(d, verbose));
  bool table = false;
  for (const auto& f : d.differences) {
    if (f.category == DiffCategory::kOther && !verbose) break;
    if (!table) {
      out += "\n| rank | category | fact | A | B | why it matters |\n|---|---|---|---|---|---|\n";
      table = true;
    }
    out += fmt::format("| {} | {} | `{}` | {} | {} | {} |\n", static_cast<int>(f.category) + 1,
                       title(f.category), cell(f.path), cell(f.a), cell(f.b), cell(f.why));
  }
  if (!d.configs.empty() || !d.only_in_a.empty() || !d.only_in_b.empty()) {
    out += "\n| configuration | A p50 | B p50 | B/A | p | verdict |\n|---|---|---|---|---|---|\n";
    for (const auto& c : d.configs) {
      out += fmt::format("| {} | {} | {} | {} | {} | {} |\n", cell(c.key), side_p50(c.a_status, c.a_p50_s),
                         side_p50(c.b_status, c.b_p50_s), c.ratio > 0 ? fmt::format("{:.2f}", c.ratio) : "-",
                         cell(p_text(c)), verdict(c));
    }
    for (const auto& k : d.only_in_a) out += fmt::format("| {} | ran | absent | - | - | only in A |\n", cell(k));
    for (const auto& k : d.only_in_b) out += fmt::format("| {} | absent | ran | - | - | only in B |\n", cell(k));
    out += "\n" + markdown_cell(d.method) + "\n";  // whole: it is ours, not a report value to cut
  }
  std::vector<std::string> noise = d.noise;
  for (const auto& c : d.configs) {
    for (const auto& n : c.noise) noise.push_back(c.key + ": " + n);
  }
  if (!noise.empty()) {
    out += "\nNoise:\n\n";
    for (const auto& n : noise) out += "- " + cell(n) + "\n";
  }
  return out;
}

json diff_to_json(const DiffReport& d) {
  json differences = json::array();
  for (const auto& f : d.differences) {
    differences.push_back({{"category", to_string(f.category)}, {"rank", static_cast<int>(f.category) + 1},
                           {"path", f.path}, {"a", f.a}, {"b", f.b},
                           {"why", f.why.empty() ? json(nullptr) : json(f.why)},
                           {"matters", f.category != DiffCategory::kOther}});
  }
  json configs = json::array();
  for (const auto& c : d.configs) {
    const bool ok = c.a_status == RowStatus::kOk && c.b_status == RowStatus::kOk;
    configs.push_back({{"config", c.key},
                       {"a_status", to_string(c.a_status)},
                       {"b_status", to_string(c.b_status)},
                       {"a_p50_s", c.a_status == RowStatus::kOk ? json(c.a_p50_s) : json(nullptr)},
                       {"b_p50_s", c.b_status == RowStatus::kOk ? json(c.b_p50_s) : json(nullptr)},
                       {"p50_ratio", ok && c.ratio > 0 ? json(c.ratio) : json(nullptr)},
                       {"p_value", c.p_value ? json(*c.p_value) : json(nullptr)},
                       {"a_samples", c.a_samples},
                       {"b_samples", c.b_samples},
                       {"significant", c.significant},
                       {"matters", c.matters},
                       {"noise", c.noise}});
  }
  json j = {{"schema", kDiffSchema},
            {"kind", to_string(d.kind)},
            {"a", d.a_source},
            {"b", d.b_source},
            {"differences_that_matter", d.mattering()},
            {"other_differences", others(d)},
            {"differences", differences},
            {"noise", d.noise}};
  if (d.kind == ReportKind::kBench) {
    j["configs"] = configs;
    j["only_in_a"] = d.only_in_a;
    j["only_in_b"] = d.only_in_b;
    j["significance"] = {{"method", d.method}, {"alpha", d.alpha}, {"min_effect", d.min_effect}};
  }
  return j;
}

}  // namespace torchdiag
