#include "report/watch_render.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "report/findings_render.h"
#include "report/svg_chart.h"
#include "report/svg_plot.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

using nlohmann::json;

json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json text_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json pod_json(const PodIdentity& pod) {
  return {{"pod_uid", text_or_null(pod.pod_uid)},
          {"container_id", text_or_null(pod.container_id)},
          {"namespace", text_or_null(pod.namespace_)},
          {"pod", text_or_null(pod.pod)},
          {"container", text_or_null(pod.container)}};
}

/// "default/web-1 (container app, pod UID ...)" for the text report; "" when unknown.
std::string pod_text(const PodIdentity& pod) {
  if (pod.empty()) return "";
  std::vector<std::string> parts;
  if (!pod.pod.empty()) parts.push_back((pod.namespace_.empty() ? "" : pod.namespace_ + "/") + pod.pod);
  if (!pod.container.empty()) parts.push_back("container " + pod.container);
  if (!pod.pod_uid.empty()) parts.push_back("pod UID " + pod.pod_uid);
  if (!pod.container_id.empty()) parts.push_back("container id " + pod.container_id.substr(0, 12));
  return join(parts, ", ");
}

/// Processes in the order a reader wants them: oversubscribed first, then by CPU used.
std::vector<const WatchedProcess*> by_importance(const WatchReport& r) {
  std::vector<const WatchedProcess*> out;
  for (const auto& p : r.processes) out.push_back(&p);
  std::stable_sort(out.begin(), out.end(), [](const WatchedProcess* a, const WatchedProcess* b) {
    if (a->verdict != b->verdict) return static_cast<int>(a->verdict) < static_cast<int>(b->verdict);
    return a->figures.cpu_used_cpus > b->figures.cpu_used_cpus;
  });
  return out;
}

void line(std::string& out, std::string_view label, const std::string& value) {
  out += fmt::format("  {:<24} {}\n", label, value);
}

std::string capacity_text(const WatchedProcess& p) {
  return fmt::format("{} (limited by {}; quota {}, {} CPUs in affinity)", p.capacity.usable_threads,
                     p.capacity.limited_by, p.quota_cpus ? fmt::format("{:.2f} CPUs", *p.quota_cpus) : "none",
                     p.affinity_cpus);
}

std::string pools_text(const WatchedProcess& p) {
  std::vector<std::string> parts;
  for (const auto& pool : p.pools) {
    parts.push_back(fmt::format("{} {}{}", pool.threads, pool.kind,
                                pool.library.empty() ? "" : " (" + pool.library + ")"));
  }
  return parts.empty() ? "none told apart" : join(parts, ", ");
}

std::string env_text(const WatchedProcess& p) {
  if (!p.env_error.empty()) return "unreadable (" + p.env_error + ")";
  std::vector<std::string> parts;
  for (const auto& [k, v] : p.thread_env) parts.push_back(k + "=" + v);
  return parts.empty() ? "no thread-count variable set" : join(parts, " ");
}

std::string throttle_text(const WatchedProcess& p) {
  if (!p.throttled_fraction) return "unavailable (" + p.throttle_source + ")";
  return fmt::format("{} of {} periods ({}), {:.2f} s, {}", p.throttled_periods, p.periods,
                     percent(*p.throttled_fraction), p.throttled_s, p.throttle_source);
}

void process_text(const WatchedProcess& p, bool verbose, std::string& out) {
  out += fmt::format("PID {} ({}){}: {}\n", p.pid, p.comm, p.exited ? ", exited during the watch" : "",
                     to_string(p.verdict));
  line(out, "why", p.verdict_reason);
  if (!p.cmdline.empty()) line(out, "command", p.cmdline);
  line(out, "cgroup", p.cgroup.empty() ? "unknown" : p.cgroup);
  if (!p.pod.empty()) line(out, "Kubernetes", pod_text(p.pod));
  line(out, "usable threads", capacity_text(p));
  line(out, "threads", fmt::format("{} ({} in the intra-op team)", p.threads, p.pool_threads));
  line(out, "pools", pools_text(p));
  line(out, "environment", env_text(p));
  const auto& f = p.figures;
  line(out, "runnable threads", fmt::format("{:.2f} on average{}, ratio {:.2f} to usable", f.runnable_threads_mean,
                                            p.schedstat ? "" : " (sampled thread states)", p.oversubscription_ratio));
  line(out, "CPU used", fmt::format("{:.2f} CPUs", f.cpu_used_cpus));
  line(out, "run-queue wait", percent(f.runqueue_wait_fraction) + " of runnable time");
  line(out, "context switches", fmt::format("{:.0f}/s involuntary, {:.0f}/s voluntary", f.involuntary_switches_per_s,
                                            f.voluntary_switches_per_s));
  line(out, "migrations", std::to_string(f.migrations));
  line(out, "CFS throttling", throttle_text(p));
  if (p.pressure_some_fraction) line(out, "cgroup CPU pressure", percent(*p.pressure_some_fraction) + " of the window (some)");
  line(out, "OpenMP spin", p.spin_fraction ? fmt::format("{} of {} CPU samples", percent(*p.spin_fraction), p.spin_samples)
                                           : "unavailable (" + p.spin_reason + ")");
  if (!p.threadpools.empty()) {
    std::vector<std::string> libs;
    for (const auto& lib : p.threadpools) libs.push_back(lib.path);
    line(out, "thread-pool libraries", join(libs, ", "));
  }
  if (!p.frameworks.empty()) line(out, "frameworks", join(p.frameworks, ", "));
  const size_t shown = verbose ? p.groups.size() : std::min<size_t>(p.groups.size(), 5);
  for (size_t i = 0; i < shown; ++i) {
    const auto& g = p.groups[i];
    line(out, i == 0 ? "thread groups" : "",
         fmt::format("{:>3} x {:<16} {:<7} {:5.2f} CPUs, {:5.2f} runnable, wait {:>4}, {:.0f} invol/s", g.threads,
                     g.name, to_string(g.kind), g.figures.cpu_used_cpus, g.figures.runnable_threads_mean,
                     percent(g.figures.runqueue_wait_fraction), g.figures.involuntary_switches_per_s));
  }
  if (shown < p.groups.size()) line(out, "", fmt::format("... {} more (-v shows all)", p.groups.size() - shown));
  if (verbose) {
    for (const auto& t : p.timeline) {
      line(out, &t == &p.timeline.front() ? "timeline" : "",
           fmt::format("t={:5.1f} s  runnable {:5.2f}  CPUs {:5.2f}  throttled {}", t.t_s, t.runnable,
                       t.cpu_used_cpus, t.throttled ? percent(*t.throttled) : "-"));
    }
  }
  for (const auto& n : p.notes) line(out, "note", n);
}

json groups_json(const WatchedProcess& p) {
  auto out = json::array();
  for (const auto& g : p.groups) {
    out.push_back({{"kind", to_string(g.kind)},
                   {"name", g.name},
                   {"threads", g.threads},
                   {"runnable_threads_mean", g.figures.runnable_threads_mean},
                   {"cpu_used_cpus", g.figures.cpu_used_cpus},
                   {"runqueue_wait_fraction", g.figures.runqueue_wait_fraction},
                   {"involuntary_switches_per_s", g.figures.involuntary_switches_per_s},
                   {"migrations", g.figures.migrations}});
  }
  return out;
}

json process_json(const WatchedProcess& p) {
  json j;
  j["pid"] = p.pid;
  j["comm"] = p.comm;
  j["cmdline"] = p.cmdline;
  j["cgroup"] = p.cgroup;
  j["kubernetes"] = p.pod.empty() ? json(nullptr) : pod_json(p.pod);
  j["exited"] = p.exited;
  j["observed_s"] = p.observed_s;
  j["threads"] = p.threads;
  j["pool_threads"] = p.pool_threads;
  j["usable_threads"] = p.capacity.usable_threads;
  j["usable_limited_by"] = to_string(p.capacity.limited_by);
  j["quota_cpus"] = opt(p.quota_cpus);
  j["affinity_cpus"] = p.affinity_cpus;
  j["runnable_threads_mean"] = p.figures.runnable_threads_mean;
  j["runnable_source"] = p.schedstat ? "schedstat" : "thread states";
  j["cpu_used_cpus"] = p.figures.cpu_used_cpus;
  j["runqueue_wait_fraction"] = p.figures.runqueue_wait_fraction;
  j["involuntary_switches_per_s"] = p.figures.involuntary_switches_per_s;
  j["voluntary_switches_per_s"] = p.figures.voluntary_switches_per_s;
  j["migrations"] = p.figures.migrations;
  j["throttled_fraction"] = opt(p.throttled_fraction);
  j["throttled_periods"] = p.throttled_periods;
  j["periods"] = p.periods;
  j["throttled_s"] = p.throttled_s;
  j["throttle_source"] = p.throttle_source;
  j["cpu_pressure_some_fraction"] = opt(p.pressure_some_fraction);
  j["spin_fraction"] = opt(p.spin_fraction);
  j["spin_reason"] = p.spin_fraction ? json(nullptr) : json(p.spin_reason);
  j["spin_samples"] = p.spin_samples;
  j["oversubscription_ratio"] = p.oversubscription_ratio;
  j["verdict"] = to_string(p.verdict);
  j["verdict_reason"] = p.verdict_reason;
  j["env"] = p.thread_env;
  j["env_error"] = p.env_error.empty() ? json(nullptr) : json(p.env_error);
  auto libs = json::array();
  for (const auto& lib : p.threadpools) {
    libs.push_back({{"library", lib.library}, {"api", to_string(lib.api)}, {"path", lib.path}});
  }
  j["threadpool_libraries"] = libs;
  j["frameworks"] = p.frameworks;
  j["allocator"] = p.allocator.empty() ? json(nullptr) : json(p.allocator);
  auto pools = json::array();
  for (const auto& pool : p.pools) {
    pools.push_back({{"kind", to_string(pool.kind)},
                     {"library", pool.library.empty() ? json(nullptr) : json(pool.library)},
                     {"threads", pool.threads}});
  }
  j["pools"] = pools;
  j["groups"] = groups_json(p);
  auto timeline = json::array();
  for (const auto& t : p.timeline) {
    timeline.push_back({{"t_s", t.t_s}, {"runnable", t.runnable}, {"cpu_used_cpus", t.cpu_used_cpus},
                        {"throttled", opt(t.throttled)}});
  }
  j["timeline"] = timeline;
  j["notes"] = p.notes;
  return j;
}


constexpr double kPanelW = 460, kPanelH = 200, kMarginL = 60, kMarginR = 30, kPanelGapY = 90, kTitleH = 70;
constexpr const char* kRunnableColour = "#d62728";
constexpr const char* kCpuColour = "#1f77b4";
constexpr const char* kUsableColour = "#2ca02c";

std::string svg_panel(const WatchedProcess& p, double x0, double y0) {
  double t_max = 0, v_max = p.capacity.usable_threads;
  for (const auto& t : p.timeline) {
    t_max = std::max(t_max, t.t_s);
    v_max = std::max({v_max, t.runnable, t.cpu_used_cpus});
  }
  if (t_max <= 0) t_max = 1;
  const double v_step = nice_step(v_max, 4), t_step = nice_step(t_max, 5);
  // Rounded up to a whole step; a hair over a step (10.002 s) does not add one.
  const auto round_up = [](double v, double step) { return std::ceil(v / step - 1e-3) * step; };
  const double v_top = round_up(v_max, v_step), t_top = round_up(t_max, t_step);
  const auto px = [&](double t) { return x0 + kPanelW * t / t_top; };
  const auto py = [&](double v) { return y0 + kPanelH - kPanelH * v / v_top; };
  std::string out = fmt::format(
      "<g class=\"panel\" data-pid=\"{}\"><text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"13\">{}</text>\n", p.pid, x0,
      y0 - 10,
      xml_escape(fmt::format("PID {} ({}): {}, ratio {:.2f}", p.pid, p.comm, to_string(p.verdict), p.oversubscription_ratio)));
  out += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#333\"/>\n",
                     x0, y0, kPanelW, kPanelH);
  for (double v = 0; v <= v_top + v_step / 2; v += v_step) {
    out += fmt::format("<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>"
                       "<text x=\"{3:.1f}\" y=\"{4:.1f}\" font-size=\"11\" text-anchor=\"end\">{5:g}</text>\n",
                       x0, x0 + kPanelW, py(v), x0 - 6, py(v) + 4, v);
  }
  for (double t = 0; t <= t_top + t_step / 2; t += t_step) {
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"middle\">{:g} s</text>\n", px(t),
                       y0 + kPanelH + 16, t);
  }
  out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 {:.1f} {:.1f})\">threads / CPUs</text>\n",
                     x0 - 40, y0 + kPanelH / 2, x0 - 40, y0 + kPanelH / 2);
  const auto polyline = [&](const char* cls, const char* colour, auto value) {
    std::string pts;  // each point at the end of its interval
    for (const auto& t : p.timeline) pts += fmt::format("{:.1f},{:.1f} ", px(std::min(t.t_s, t_top)), py(value(t)));
    return fmt::format("<polyline class=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n", cls,
                       colour, pts);
  };
  out += polyline("runnable", kRunnableColour, [](const TimelinePoint& t) { return t.runnable; });
  out += polyline("cpu", kCpuColour, [](const TimelinePoint& t) { return t.cpu_used_cpus; });
  // Drawn last, so the dashes stay visible where CPUs used sits on the limit.
  const double usable = p.capacity.usable_threads;
  out += fmt::format("<line class=\"usable\" x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
                     "stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n",
                     x0, x0 + kPanelW, py(usable), kUsableColour);
  return out + "</g>\n";
}

}  // namespace

std::string watch_to_text(const WatchReport& r, bool verbose) {
  std::string out = fmt::format("Watched {} process(es) for {:.1f} s{} ({}{})\n\n", r.processes.size(), r.observed_s,
                                r.interrupted ? " (interrupted)" : "", r.selection,
                                r.processes_scanned ? fmt::format(", {} processes scanned", r.processes_scanned) : "");
  if (r.processes.empty()) {
    out += "No process to watch: none in this PID namespace maps an OpenMP runtime, a BLAS pool, "
           "libtorch or ONNX Runtime (name others with --match or --pid).\n\n";
  }
  for (const auto* p : by_importance(r)) {
    process_text(*p, verbose, out);
    out += "\n";
  }
  if (r.cgroups.size() > 1 || (r.cgroups.size() == 1 && r.cgroups.front().pids.size() > 1)) {
    out += "Cgroups\n";
    for (const auto& c : r.cgroups) {
      out += fmt::format("  {}: {}, {} process(es), {} pool threads, {:.2f} runnable on {} usable, ratio {:.2f}\n",
                         c.path.empty() ? "(unknown)" : c.path, to_string(c.verdict), c.pids.size(), c.pool_threads,
                         c.runnable_threads_mean, c.usable_threads, c.oversubscription_ratio);
    }
    out += "\n";
  }
  append_findings_text(r.findings, "no process is over- or undersubscribed", out);
  return out;
}

json watch_to_json(const WatchReport& r) {
  json j;
  j["schema"] = kWatchSchema;
  j["torchdiag_version"] = TORCHDIAG_VERSION;
  j["selection"] = r.selection;
  j["processes_scanned"] = r.processes_scanned;
  j["duration_s"] = r.duration_s;
  j["interval_s"] = r.interval_s;
  j["observed_s"] = r.observed_s;
  j["interrupted"] = r.interrupted;
  auto processes = json::array();
  for (const auto& p : r.processes) processes.push_back(process_json(p));
  j["processes"] = processes;
  auto cgroups = json::array();
  for (const auto& c : r.cgroups) {
    cgroups.push_back({{"path", c.path},
                       {"kubernetes", c.pod.empty() ? json(nullptr) : pod_json(c.pod)},
                       {"pids", c.pids},
                       {"usable_threads", c.usable_threads},
                       {"pool_threads", c.pool_threads},
                       {"runnable_threads_mean", c.runnable_threads_mean},
                       {"cpu_used_cpus", c.cpu_used_cpus},
                       {"runqueue_wait_fraction", c.runqueue_wait_fraction},
                       {"throttled_fraction", opt(c.throttled_fraction)},
                       {"oversubscription_ratio", c.oversubscription_ratio},
                       {"verdict", to_string(c.verdict)},
                       {"verdict_reason", c.verdict_reason}});
  }
  j["cgroups"] = cgroups;
  j["findings"] = findings_json(r.findings);
  return j;
}

std::string watch_live_table(const WatchReport& r, size_t max_rows) {
  std::string out = fmt::format("torchdiag watch: {:.0f} of {:.0f} s, {} process(es)  (Ctrl-C ends early and reports)\n",
                                r.observed_s, r.duration_s, r.processes.size());
  out += fmt::format("{:>8} {:<16} {:>7} {:>8} {:>6} {:>6} {:>6} {:>9} {:>7}  {}\n", "PID", "COMMAND", "THREADS",
                     "RUNNABLE", "USABLE", "RATIO", "CPUS", "RQ-WAIT", "THROTL", "VERDICT");
  const auto order = by_importance(r);
  for (size_t i = 0; i < order.size() && i < max_rows; ++i) {
    const auto& p = *order[i];
    out += fmt::format("{:>8} {:<16.16} {:>7} {:>8.2f} {:>6} {:>6.2f} {:>6.2f} {:>9} {:>7}  {}\n", p.pid, p.comm,
                       p.threads, p.figures.runnable_threads_mean, p.capacity.usable_threads,
                       p.oversubscription_ratio, p.figures.cpu_used_cpus, percent(p.figures.runqueue_wait_fraction),
                       p.throttled_fraction ? percent(*p.throttled_fraction) : "-", to_string(p.verdict));
  }
  if (order.size() > max_rows) out += fmt::format("... and {} more\n", order.size() - max_rows);
  return out;
}

std::string watch_to_svg(const WatchReport& r) {
  auto order = by_importance(r);
  if (order.size() > 12) order.resize(12);
  const size_t cols = order.size() > 1 ? 2 : 1;
  const size_t rows = std::max<size_t>(1, (order.size() + cols - 1) / cols);
  const double width = static_cast<double>(cols) * (kMarginL + kPanelW + kMarginR);
  const double height = kTitleH + static_cast<double>(rows) * (kPanelH + kPanelGapY);
  std::string out = svg_open(width, height);
  out += fmt::format("<text x=\"{:.1f}\" y=\"20\" font-size=\"14\" text-anchor=\"middle\">{}</text>\n", width / 2,
                     xml_escape(fmt::format("torchdiag watch: {} process(es) over {:.0f} s, sampled every {:g} s",
                                            r.processes.size(), r.observed_s, r.interval_s)));
  // The legend: one entry per series kind, the same colours in every panel.
  const struct {
    const char* colour;
    const char* label;
    bool dashed;
  } legend[] = {{kRunnableColour, "runnable threads", false},
                {kCpuColour, "CPUs used", false},
                {kUsableColour, "usable threads", true}};
  double lx = kMarginL;
  for (const auto& e : legend) {
    out += fmt::format("<g class=\"legend-entry\"><line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"42\" y2=\"42\" stroke=\"{2}\" "
                       "stroke-width=\"2\"{3}/><text x=\"{4:.1f}\" y=\"46\" font-size=\"12\">{5}</text></g>\n",
                       lx, lx + 24, e.colour, e.dashed ? " stroke-dasharray=\"6 4\"" : "", lx + 30, e.label);
    lx += 30 + 7.0 * static_cast<double>(std::string_view(e.label).size()) + 24;
  }
  for (size_t i = 0; i < order.size(); ++i) {
    const double x0 = static_cast<double>(i % cols) * (kMarginL + kPanelW + kMarginR) + kMarginL;
    const double y0 = kTitleH + static_cast<double>(i / cols) * (kPanelH + kPanelGapY) + 20;
    out += svg_panel(*order[i], x0, y0);
  }
  if (order.empty()) {
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"13\" text-anchor=\"middle\">no process was watched</text>\n",
                       width / 2, kTitleH + 60);
  }
  return out + "</svg>\n";
}

}  // namespace torchdiag
