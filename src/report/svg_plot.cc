#include "report/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "report/bench_text.h"
#include "report/svg_chart.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

constexpr double kLeft = 84, kPanelW = 360, kPanelH = 220, kGapX = 110, kTop = 74, kRowGap = 104, kLegendRow = 18;

/// What sets a series apart in the bench chart: streams, allocator, inter-op threads.
std::string kind_of(const BenchRow& row) {
  return fmt::format("streams={} {}{}", row.spec.streams, row.spec.allocator,
                     row.spec.interop_threads ? fmt::format(" interop={}", *row.spec.interop_threads) : "");
}

std::string text(double x, double y, int size, const std::string& anchor, const std::string& body,
                 const std::string& extra = "") {
  return fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"{}\" text-anchor=\"{}\"{}>{}</text>\n", x, y, size,
                     anchor, extra, xml_escape(body));
}

/// A value axis drawn on the left of a panel: grid lines, tick labels, the rotated title.
std::string draw_value_axis(const Axis& a, double x0, double y0, const std::string& title) {
  std::string out;
  for (const double t : a.ticks) {
    const double y = a.at(t, y0 + kPanelH, y0);
    out += fmt::format("<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>\n", x0,
                       x0 + kPanelW, y);
    out += text(x0 - 6, y + 4, 11, "end", a.label(t));
  }
  const double cx = x0 - 56, cy = y0 + kPanelH / 2;
  out += text(cx, cy, 12, "middle", title + (a.unit.empty() ? "" : " (" + a.unit + ")") + (a.log ? ", log scale" : ""),
              fmt::format(" transform=\"rotate(-90 {:.1f} {:.1f})\"", cx, cy));
  return out;
}

struct Panel {
  std::string title, y_title;
  Quantity quantity;
  std::function<double(const BenchRow&)> value;
  std::function<std::pair<double, double>(const BenchRow&)> bar;  ///< (low, high), or null
};

std::string draw_panel(const Panel& p, double x0, double y0, const std::vector<const BenchRow*>& rows,
                       const std::vector<std::string>& kinds) {
  std::vector<double> values;
  std::vector<int> xs;
  for (const auto* r : rows) {
    values.push_back(p.value(*r));
    if (p.bar) {
      values.push_back(p.bar(*r).first);
      values.push_back(p.bar(*r).second);
    }
    xs.push_back(threads_run(*r));
  }
  const auto axis = value_axis(values, p.quantity, true);
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  const double pad = 24;
  const auto px = [&](int x) {
    if (xs.size() < 2) return x0 + kPanelW / 2;
    return x0 + pad + (kPanelW - 2 * pad) * (x - xs.front()) / double(xs.back() - xs.front());
  };
  const auto py = [&](double v) { return axis.at(v, y0 + kPanelH, y0); };
  std::string out = fmt::format("<g class=\"panel\">\n");
  out += text(x0 + kPanelW / 2, y0 - 12, 13, "middle", p.title);
  out += draw_value_axis(axis, x0, y0, p.y_title);
  out += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#333\"/>\n",
                     x0, y0, kPanelW, kPanelH);
  for (const int x : xs) out += text(px(x), y0 + kPanelH + 16, 11, "middle", std::to_string(x));
  out += text(x0 + kPanelW / 2, y0 + kPanelH + 36, 12, "middle", "intra-op threads");
  for (size_t k = 0; k < kinds.size(); ++k) {
    const char* colour = series_colour(k);
    std::vector<const BenchRow*> line, current;
    for (const auto* r : rows) {
      if (kind_of(*r) != kinds[k]) continue;
      (r->spec.threads ? line : current).push_back(r);
    }
    std::sort(line.begin(), line.end(), [](const BenchRow* a, const BenchRow* b) { return threads_run(*a) < threads_run(*b); });
    std::string pts;
    for (const auto* r : line) pts += fmt::format("{:.1f},{:.1f} ", px(threads_run(*r)), py(p.value(*r)));
    if (line.size() > 1) {
      out += fmt::format("<polyline class=\"series\" data-series=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n",
                         xml_escape(kinds[k]), colour, pts);
    }
    for (const auto* r : line) {
      const double x = px(threads_run(*r));
      if (p.bar) {
        const auto [lo, hi] = p.bar(*r);
        out += fmt::format("<path class=\"error-bar\" d=\"M{0:.1f},{1:.1f}V{2:.1f}M{3:.1f},{1:.1f}H{4:.1f}M{3:.1f},{2:.1f}H{4:.1f}\" "
                           "stroke=\"{5}\" fill=\"none\"/>\n", x, py(lo), py(hi), x - 4, x + 4, colour);
      }
      out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"{}\"/>\n", x, py(p.value(*r)), colour);
    }
    for (const auto* r : current) {  // LibTorch's own choice: its own marker, labelled
      const double x = px(threads_run(*r)), y = py(p.value(*r));
      out += fmt::format("<path class=\"current\" d=\"M{0:.1f},{1:.1f}l6,6l-6,6l-6,-6z\" fill=\"white\" stroke=\"{2}\" stroke-width=\"2\"/>\n",
                         x, y - 6, colour);
      // Staggered by series, so two "current" points at one count keep readable labels.
      out += text(x + 8, std::max(y - 8 - 11 * static_cast<double>(k % 3), y0 + 10), 10, "start", "current");
    }
  }
  return out + "</g>\n";
}

/// The legend, right of the panels: one entry per series kind, then the "current" marker.
std::string legend(double x, double y, const std::vector<std::string>& kinds, bool has_current) {
  std::string out = "<g class=\"legend\">\n" + text(x, y, 12, "start", "series");
  for (size_t k = 0; k < kinds.size(); ++k) {
    const double ly = y + kLegendRow * double(k + 1);
    out += fmt::format("<g class=\"legend-entry\" data-chart=\"bench\"><line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" "
                       "y2=\"{2:.1f}\" stroke=\"{3}\" stroke-width=\"3\"/>{4}</g>\n",
                       x, x + 22, ly - 4, series_colour(k), text(x + 28, ly, 12, "start", kinds[k]));
  }
  if (has_current) {
    const double ly = y + kLegendRow * double(kinds.size() + 1);
    out += fmt::format("<path d=\"M{:.1f},{:.1f}l6,6l-6,6l-6,-6z\" fill=\"white\" stroke=\"#333\" stroke-width=\"2\"/>\n", x + 11,
                       ly - 10);
    out += text(x + 28, ly, 12, "start", "current (LibTorch's own count)", " class=\"legend-note\"");
  }
  return out + "</g>\n";
}

/// RSS over time, one line per soak row (bench --duration), its peak and mean marked;
/// the short timelines of an ordinary sweep are left to the table.
std::string rss_chart(double y0, const BenchReport& r, double& height) {
  std::vector<const BenchRow*> rows;
  std::vector<double> ts, bytes;
  for (const auto& row : r.rows) {
    if (row.status != RowStatus::kOk || row.spec.duration_s <= 0 || row.memory.rss_timeline.size() < 2) continue;
    rows.push_back(&row);
    for (const auto& [t, b] : row.memory.rss_timeline) {
      ts.push_back(t);
      bytes.push_back(static_cast<double>(b));
    }
  }
  height = 0;
  if (rows.empty()) return "";
  const double w = 2 * kPanelW + kGapX;
  const auto tx = value_axis(ts, Quantity::kTime, false);
  const auto by = value_axis(bytes, Quantity::kBytes, false);
  const auto px = [&](double t) { return tx.at(t, kLeft, kLeft + w); };
  const auto py = [&](double b) { return by.at(b, y0 + kPanelH, y0); };
  std::string out = "<g class=\"rss\">\n" + text(kLeft + w / 2, y0 - 12, 13, "middle", "resident memory (RSS) over the timed run");
  for (const double t : by.ticks) {
    out += fmt::format("<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>\n", kLeft, kLeft + w, py(t));
    out += text(kLeft - 6, py(t) + 4, 11, "end", by.label(t));
  }
  for (const double t : tx.ticks) out += text(px(t), y0 + kPanelH + 16, 11, "middle", tx.label(t));
  out += text(kLeft + w / 2, y0 + kPanelH + 36, 12, "middle", "time since the timed window began (s)");
  const double cx = kLeft - 56, cy = y0 + kPanelH / 2;
  out += text(cx, cy, 12, "middle", "RSS (" + by.unit + ")", fmt::format(" transform=\"rotate(-90 {:.1f} {:.1f})\"", cx, cy));
  out += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#333\"/>\n", kLeft, y0, w, kPanelH);
  const double legend_y = y0 + kPanelH + 62;
  for (size_t k = 0; k < rows.size(); ++k) {
    const auto* row = rows[k];
    const char* colour = series_colour(k);
    std::string pts;
    double peak_t = 0, peak = 0, sum = 0;
    for (const auto& [t, b] : row->memory.rss_timeline) {
      pts += fmt::format("{:.1f},{:.1f} ", px(t), py(static_cast<double>(b)));
      if (static_cast<double>(b) > peak) std::tie(peak_t, peak) = std::make_pair(t, static_cast<double>(b));
      sum += static_cast<double>(b);
    }
    const double mean = sum / static_cast<double>(row->memory.rss_timeline.size());
    const auto name = fmt::format("{} threads={} {}", row->spec.workload, threads_label(row->spec), kind_of(*row));
    out += fmt::format("<polyline class=\"rss-series\" data-series=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n",
                       xml_escape(name), colour, pts);
    out += fmt::format("<line class=\"mean\" x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" stroke-dasharray=\"5 4\"/>\n",
                       kLeft, kLeft + w, py(mean), colour);
    out += fmt::format("<circle class=\"peak\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4.5\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n",
                       px(peak_t), py(peak), colour);
    const double ly = legend_y + kLegendRow * static_cast<double>(k);
    out += fmt::format("<g class=\"legend-entry\" data-chart=\"rss\"><line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" "
                       "stroke=\"{3}\" stroke-width=\"3\"/>{4}</g>\n",
                       kLeft, kLeft + 22, ly - 4, colour,
                       text(kLeft + 28, ly, 12, "start",
                            fmt::format("{}: peak {:.0f} {} (circle), mean {:.0f} {} (dashed)", name, peak / by.scale,
                                        by.unit, mean / by.scale, by.unit)));
  }
  height = legend_y + kLegendRow * static_cast<double>(rows.size()) - y0 + 40;
  return out + "</g>\n";
}

}  // namespace

std::string xml_escape(const std::string& text) {
  return escape_chars(text, {{'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'"', "&quot;"}, {'\'', "&apos;"}});
}

std::string svg_open(double width, double height) {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" "
      "height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" font-family=\"sans-serif\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      width, height);
}

std::string bench_to_svg(const BenchReport& r) {
  std::vector<Workload> workloads;
  std::vector<std::string> kinds;
  bool has_current = false;
  for (const auto& row : r.rows) {
    if (row.status != RowStatus::kOk) continue;
    if (std::find(workloads.begin(), workloads.end(), row.spec.workload) == workloads.end()) workloads.push_back(row.spec.workload);
    if (std::find(kinds.begin(), kinds.end(), kind_of(row)) == kinds.end()) kinds.push_back(kind_of(row));
    has_current = has_current || !row.spec.threads;
  }
  size_t longest = 0;
  for (const auto& k : kinds) longest = std::max(longest, k.size());
  const double legend_x = kLeft + 2 * kPanelW + kGapX + 24;
  const double width = legend_x + std::max(30.0 + 7.0 * static_cast<double>(longest), 240.0) + 20;
  const double panels_h = static_cast<double>(workloads.size()) * (kPanelH + kRowGap);
  double rss_h = 0;
  const auto rss = rss_chart(kTop + panels_h, r, rss_h);
  const double height = std::max(kTop + panels_h, kTop + kLegendRow * double(kinds.size() + 3)) + rss_h + 10;
  const auto& cg = r.context.cgroup;
  std::string out = svg_open(width, height);
  out += text(kLeft, 24, 15, "start", "torchdiag bench: latency and throughput by thread count");
  out += text(kLeft, 44, 12, "start",
              fmt::format("LibTorch {}, {} usable threads, CPU quota {}, host {}, {}", r.torch_version,
                          r.context.capacity.usable_threads,
                          cg.quota_cpus ? fmt::format("{:.2f} CPUs", *cg.quota_cpus) : std::string("none"), r.host, r.date));
  for (size_t w = 0; w < workloads.size(); ++w) {
    std::vector<const BenchRow*> rows;
    for (const auto& row : r.rows) {
      if (row.status == RowStatus::kOk && row.spec.workload == workloads[w]) rows.push_back(&row);
    }
    const double y0 = kTop + static_cast<double>(w) * (kPanelH + kRowGap);
    const std::string name = to_string(workloads[w]);
    out += draw_panel({name + ": p50 latency per call, p10-p90 bars", "p50 latency", Quantity::kSeconds,
                       [](const BenchRow& row) { return row.latency.p50; },
                       [](const BenchRow& row) { return std::make_pair(row.latency.p10, row.latency.p90); }},
                      kLeft, y0, rows, kinds);
    out += draw_panel({name + ": throughput (higher is better)", "throughput", Quantity::kPerSecond,
                       [](const BenchRow& row) { return row.throughput_per_s; }, nullptr},
                      kLeft + kPanelW + kGapX, y0, rows, kinds);
  }
  out += legend(legend_x, kTop, kinds, has_current);
  return out + rss + "</svg>\n";
}

}  // namespace torchdiag
