#include "report/op_profile_render.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <set>

#include <fmt/format.h>

#include "report/bench_text.h"
#include "report/format.h"
#include "report/svg_chart.h"
#include "report/svg_plot.h"
#include "util/strings.h"

namespace torchdiag {

using nlohmann::json;

namespace {

constexpr size_t kTextOps = 10;  ///< operators per configuration in text and Markdown

const char* kOverheadMethod =
    "1 - (time in top-level operators / wall time of the call); top-level: no operator around it on the calling thread";

bool profiled(const BenchRow& r) { return r.profile.has_value(); }

std::string row_title(const BenchRow& r) {
  return fmt::format("{} threads={} streams={} {}", to_string(r.spec.workload), threads_label(r.spec), r.spec.streams,
                     to_string(r.spec.allocator));
}

}  // namespace

json chrome_trace(const ProfileSample& sample, const std::string& label) {
  json events = json::array();
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"tid", 0}, {"args", {{"name", label}}}});
  int threads = 0;
  for (const auto& e : sample.events) threads = std::max(threads, e.thread + 1);
  for (int t = 0; t < threads; ++t) {
    events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", t},
                      {"args", {{"name", t == 0 ? std::string("caller") : fmt::format("thread {}", t)}}}});
  }
  for (const auto& e : sample.events) {
    json ev = {{"name", e.name}, {"cat", e.name == kCallRangeName ? "call" : "cpu_op"}, {"ph", "X"},
               {"ts", e.start_us}, {"dur", e.dur_us}, {"pid", 1}, {"tid", e.thread}};
    if (!e.shapes.empty()) ev["args"] = {{"input_shapes", e.shapes}};
    events.push_back(std::move(ev));
  }
  return {{"traceEvents", events}, {"displayTimeUnit", "ms"}};
}

json op_profile_json(const OpProfile& p) {
  json ops = json::array();
  for (const auto& op : p.ops) {
    ops.push_back({{"name", op.name}, {"shapes", op.shapes.empty() ? json(nullptr) : json(op.shapes)},
                   {"calls", op.calls_per_forward}, {"self_s_per_call", op.self_s_per_call}, {"share", op.share},
                   {"thread", op.thread}});
  }
  const bool ok = p.error.empty();
  return {{"ops", ops},
          {"calls_profiled", p.calls},
          {"wall_s_per_call", ok ? json(p.wall_s_per_call) : json(nullptr)},
          {"framework_overhead_fraction", ok ? json(p.framework_overhead_fraction) : json(nullptr)},
          {"framework_overhead_method", kOverheadMethod},
          {"truncated", p.truncated},
          {"trace_file", p.trace_file.empty() ? json(nullptr) : json(p.trace_file)},
          {"error", ok ? json(nullptr) : json(p.error)}};
}

json op_scaling_json(const std::vector<OpScaling>& scaling) {
  json out = json::array();
  for (const auto& s : scaling) {
    json self = json::object(), speedup = json::object();
    for (const auto& [threads, v] : s.self_s) self[std::to_string(threads)] = v;
    for (const auto& [threads, v] : s.speedup) speedup[std::to_string(threads)] = v;
    out.push_back({{"workload", s.workload}, {"name", s.name}, {"self_s_per_call", self}, {"speedup", speedup},
                   {"slower_with_threads", s.slower_with_threads}, {"never_parallel", s.never_parallel},
                   {"reading", s.reading}});
  }
  return out;
}

std::string op_profile_text(const BenchReport& r) {
  if (std::none_of(r.rows.begin(), r.rows.end(), profiled)) return "";
  std::string out = "\nOperators (self time per call, profiled after the timed window)\n";
  for (const auto& row : r.rows) {
    if (!row.profile) continue;
    const auto& p = *row.profile;
    if (!p.error.empty()) {
      out += fmt::format("  {}: no profile ({})\n", row_title(row), p.error);
      continue;
    }
    out += fmt::format("  {}: {} call(s) of {}, framework overhead {}{}\n", row_title(row), p.calls,
                       format_duration(p.wall_s_per_call), percent(p.framework_overhead_fraction),
                       p.trace_file.empty() ? "" : ", trace " + p.trace_file);
    for (size_t i = 0; i < p.ops.size() && i < kTextOps; ++i) {
      const auto& op = p.ops[i];
      out += fmt::format("    {:<34} {:>10} {:>5} {:>7.1f}/call  thread {}{}\n", op.name,
                         format_duration(op.self_s_per_call), percent(op.share), op.calls_per_forward, op.thread,
                         op.shapes.empty() ? "" : "  " + op.shapes);
    }
  }
  if (!r.op_scaling.empty()) {
    out += "\nThread scaling per operator (self time at the fewest threads / at each count)\n";
    for (const auto& s : r.op_scaling) out += "  " + s.reading + "\n";
  }
  out += "  framework overhead = " + std::string(kOverheadMethod) + "\n";
  return out;
}

std::string op_profile_markdown(const BenchReport& r) {
  if (std::none_of(r.rows.begin(), r.rows.end(), profiled)) return "";
  const auto cell = [](const std::string& v) { return markdown_cell(v); };
  std::string out = "\n### Operators\n";
  for (const auto& row : r.rows) {
    if (!row.profile) continue;
    const auto& p = *row.profile;
    if (!p.error.empty()) {
      out += fmt::format("\n**{}**: no profile ({})\n", row_title(row), cell(p.error));
      continue;
    }
    out += fmt::format("\n**{}**: {} per call, framework overhead {}\n\n", row_title(row),
                       format_duration(p.wall_s_per_call), percent(p.framework_overhead_fraction));
    out += "| operator | self per call | share | calls per forward | thread |\n|---|---|---|---|---|\n";
    for (size_t i = 0; i < p.ops.size() && i < kTextOps; ++i) {
      const auto& op = p.ops[i];
      out += fmt::format("| `{}`{} | {} | {} | {:.1f} | {} |\n", cell(op.name), op.shapes.empty() ? "" : " " + cell(op.shapes),
                         format_duration(op.self_s_per_call), percent(op.share), op.calls_per_forward, op.thread);
    }
  }
  if (!r.op_scaling.empty()) {
    out += "\n### Thread scaling per operator\n\n";
    for (const auto& s : r.op_scaling) out += "- " + cell(s.reading) + "\n";
  }
  return out;
}

std::string op_profile_csv(const BenchReport& r) {
  std::string out = "config,name,shapes,calls_per_forward,self_s_per_call,share,thread\n";
  for (const auto& row : r.rows) {
    if (!row.profile) continue;
    for (const auto& op : row.profile->ops) {
      out += fmt::format("{},{},{},{:.6g},{:.9g},{:.6g},{}\n", config_file_stem(row.spec), csv_field(op.name),
                         csv_field(op.shapes), op.calls_per_forward, op.self_s_per_call, op.share, op.thread);
    }
  }
  return out;
}

std::string op_scaling_svg(const BenchReport& r) {
  if (r.op_scaling.empty()) return "";
  constexpr double kW = 760, kH = 420, kL = 70, kT = 60, kPlotW = 420, kPlotH = 300, kLegendX = kL + kPlotW + 20;
  int t_min = 1 << 30, t_max = 0;
  std::vector<double> speedups = {1.0};
  for (const auto& s : r.op_scaling) {
    for (const auto& [t, v] : s.speedup) {
      t_min = std::min(t_min, t);
      t_max = std::max(t_max, t);
      speedups.push_back(v);
    }
  }
  const auto axis = value_axis(speedups, Quantity::kCount, false);
  const auto px = [&](int t) { return kL + (t_max == t_min ? 0 : kPlotW * (t - t_min) / double(t_max - t_min)); };
  const auto py = [&](double v) { return axis.at(v, kT + kPlotH, kT); };
  std::string out = svg_open(kW, kH);
  out += fmt::format("<text x=\"{}\" y=\"28\" font-size=\"15\">{}</text>\n", kL,
                     xml_escape(fmt::format("Speed-up per operator vs {} thread(s) (LibTorch {}, {} usable threads)", t_min,
                                            r.torch_version, r.context.capacity.usable_threads)));
  out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333\"/>\n", kL, kT, kPlotW,
                     kPlotH);
  for (const double v : axis.ticks) {
    out += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>"
                       "<text x=\"{3}\" y=\"{4:.1f}\" font-size=\"11\" text-anchor=\"end\">{5}x</text>\n",
                       kL, kL + kPlotW, py(v), kL - 6, py(v) + 4, axis.label(v));
  }
  std::set<int> counts;
  for (const auto& s : r.op_scaling) {
    for (const auto& [t, v] : s.speedup) counts.insert(t);
  }
  for (const int t : counts) {
    out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n", px(t),
                       kT + kPlotH + 16, t);
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">intra-op threads</text>\n",
                     kL + kPlotW / 2, kT + kPlotH + 36);
  out += fmt::format("<text x=\"{0}\" y=\"{1}\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 {0} {1})\">"
                     "speed-up (self time at {2} / at N threads)</text>\n",
                     kL - 46, kT + kPlotH / 2, t_min);
  out += fmt::format("<line class=\"parity\" x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#333\" "
                     "stroke-dasharray=\"4 3\"/>\n", kL, kL + kPlotW, py(1));
  for (size_t i = 0; i < r.op_scaling.size(); ++i) {
    const auto& s = r.op_scaling[i];
    const char* colour = series_colour(i);
    std::string pts;
    for (const auto& [t, v] : s.speedup) pts += fmt::format("{:.1f},{:.1f} ", px(t), py(v));
    out += fmt::format("<polyline class=\"op\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n", colour, pts);
    for (const auto& [t, v] : s.speedup) {
      out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", px(t), py(v), colour);
    }
    const double y = kT + 10 + 18 * static_cast<double>(i);
    std::string name = s.name.size() > 34 ? s.name.substr(0, 33) + "~" : s.name;
    out += fmt::format("<g class=\"legend-entry\" data-chart=\"ops\"><rect x=\"{}\" y=\"{:.1f}\" width=\"12\" height=\"3\" fill=\"{}\"/>"
                       "<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\">{}</text></g>\n",
                       kLegendX, y - 4, colour, kLegendX + 18, y, xml_escape(name));
  }
  return out + "</svg>\n";
}

}  // namespace torchdiag
