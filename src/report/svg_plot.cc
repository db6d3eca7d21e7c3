#include "report/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "report/bench_text.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

constexpr double kPanelW = 420, kPanelH = 300, kLeft = 70, kTop = 50, kGap = 110;
const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b"};

struct Series {
  std::string name;
  std::vector<std::pair<size_t, const BenchRow*>> points;  ///< x category index, row
};

std::vector<std::string> categories(const BenchReport& r) {
  std::vector<std::string> out;
  for (const auto& row : r.rows) {
    if (std::find(out.begin(), out.end(), threads_label(row.spec)) == out.end()) out.push_back(threads_label(row.spec));
  }
  return out;
}

std::vector<Series> series_of(const BenchReport& r, const std::vector<std::string>& cats) {
  std::map<std::string, Series> by_name;
  std::vector<std::string> order;
  for (const auto& row : r.rows) {
    if (row.status != RowStatus::kOk) continue;
    const auto name = fmt::format("{} streams={} {}", row.spec.workload, row.spec.streams, row.spec.allocator);
    if (!by_name.count(name)) order.push_back(name);
    auto& s = by_name[name];
    s.name = name;
    const auto idx = static_cast<size_t>(std::find(cats.begin(), cats.end(), threads_label(row.spec)) - cats.begin());
    s.points.emplace_back(idx, &row);
  }
  std::vector<Series> out;
  for (const auto& n : order) out.push_back(by_name[n]);
  return out;
}

std::string panel(double x0, const std::string& title, const std::string& unit,
                  const std::vector<std::string>& cats, const std::vector<Series>& series,
                  const std::function<double(const BenchRow&)>& value) {
  double top = 0;
  for (const auto& s : series) {
    for (const auto& p : s.points) top = std::max(top, value(*p.second));
  }
  if (top <= 0) top = 1;
  top *= 1.1;
  const auto px = [&](size_t i) {
    return x0 + (cats.size() > 1 ? kPanelW * static_cast<double>(i) / static_cast<double>(cats.size() - 1) : kPanelW / 2);
  };
  const auto py = [&](double v) { return kTop + kPanelH - kPanelH * v / top; };
  std::string out = fmt::format("<g class=\"panel\"><text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"15\" text-anchor=\"middle\">{}</text>\n",
                                x0 + kPanelW / 2, kTop - 18, xml_escape(title));
  out += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#333\"/>\n",
                     x0, kTop, kPanelW, kPanelH);
  for (int t = 0; t <= 4; ++t) {
    const double v = top * t / 4;
    out += fmt::format("<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>"
                       "<text x=\"{3:.1f}\" y=\"{4:.1f}\" font-size=\"11\" text-anchor=\"end\">{5}</text>\n",
                       x0, x0 + kPanelW, py(v), x0 - 6, py(v) + 4, xml_escape(unit == "s" ? format_duration(v) : fmt::format("{:.4g}", v)));
  }
  for (size_t i = 0; i < cats.size(); ++i) {
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n",
                       px(i), kTop + kPanelH + 16, xml_escape(cats[i]));
  }
  out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"12\" text-anchor=\"middle\">intra-op threads</text>\n",
                     x0 + kPanelW / 2, kTop + kPanelH + 34);
  for (size_t k = 0; k < series.size(); ++k) {
    const char* colour = kColours[k % std::size(kColours)];
    std::string pts;
    for (const auto& p : series[k].points) pts += fmt::format("{:.1f},{:.1f} ", px(p.first), py(value(*p.second)));
    out += fmt::format("<polyline class=\"series\" data-series=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n",
                       xml_escape(series[k].name), colour, pts);
    for (const auto& p : series[k].points) {
      out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"{}\"/>\n", px(p.first), py(value(*p.second)), colour);
    }
  }
  return out + "</g>\n";
}

/// RSS over time, one line per row that has a timeline (a soak: one per allocator).
std::string rss_panel(double y0, double width, const BenchReport& r) {
  std::vector<const BenchRow*> rows;
  double t_max = 0, b_max = 0;
  for (const auto& row : r.rows) {
    if (row.status != RowStatus::kOk || row.memory.rss_timeline.size() < 2) continue;
    rows.push_back(&row);
    for (const auto& [t, b] : row.memory.rss_timeline) {
      t_max = std::max(t_max, t);
      b_max = std::max(b_max, static_cast<double>(b));
    }
  }
  if (rows.empty() || t_max <= 0) return "";
  b_max *= 1.1;
  const double w = width - kLeft - 40, h = kPanelH;
  const auto px = [&](double t) { return kLeft + w * t / t_max; };
  const auto py = [&](double b) { return y0 + h - h * b / b_max; };
  std::string out = fmt::format("<g class=\"rss\"><text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"15\" text-anchor=\"middle\">"
                                "resident memory (RSS) over the timed run</text>\n", kLeft + w / 2, y0 - 18);
  out += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#333\"/>\n",
                     kLeft, y0, w, h);
  for (int k = 0; k <= 4; ++k) {
    const double b = b_max * k / 4, t = t_max * k / 4;
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{:.0f} MiB</text>"
                       "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"middle\">{:.3g} s</text>\n",
                       kLeft - 6, py(b) + 4, b / (1 << 20), px(t), y0 + h + 16, t);
  }
  for (size_t k = 0; k < rows.size(); ++k) {
    const auto* row = rows[k];
    const char* colour = kColours[k % std::size(kColours)];
    std::string pts;
    for (const auto& [t, b] : row->memory.rss_timeline) pts += fmt::format("{:.1f},{:.1f} ", px(t), py(static_cast<double>(b)));
    const auto name = fmt::format("{} threads={} streams={} {}", row->spec.workload, threads_label(row->spec),
                                  row->spec.streams, row->spec.allocator);
    out += fmt::format("<polyline class=\"rss-series\" data-series=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n"
                       "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"12\" fill=\"{}\">{}</text>\n",
                       xml_escape(name), colour, pts, kLeft, y0 + h + 36 + 16 * static_cast<double>(k), colour,
                       xml_escape(name));
  }
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
  const auto cats = categories(r);
  const auto series = series_of(r, cats);
  const double width = kLeft + 2 * kPanelW + kGap + 40;
  const double legend_y = kTop + kPanelH + 60;
  const double rss_y = legend_y + 20 * static_cast<double>(series.size()) + 50;
  const std::string rss = rss_panel(rss_y, kLeft + 2 * kPanelW + kGap + 40, r);
  const double height = rss.empty() ? legend_y + 20 * static_cast<double>(series.size()) + 30
                                    : rss_y + kPanelH + 50 + 16 * static_cast<double>(series.size());
  std::string out = svg_open(width, height);
  out += fmt::format("<text x=\"{:.1f}\" y=\"18\" font-size=\"13\" text-anchor=\"middle\">{}</text>\n", width / 2,
                     xml_escape(fmt::format("torchdiag bench, LibTorch {}, usable threads {}, {}", r.torch_version,
                                            r.context.capacity.usable_threads, r.date)));
  out += panel(kLeft, "p50 latency per call (lower is better)", "s", cats, series,
               [](const BenchRow& row) { return row.latency.p50; });
  out += panel(kLeft + kPanelW + kGap, "throughput, items/s (higher is better)", "items/s", cats, series,
               [](const BenchRow& row) { return row.throughput_per_s; });
  for (size_t k = 0; k < series.size(); ++k) {
    const double y = legend_y + 20 * static_cast<double>(k);
    out += fmt::format("<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" stroke-width=\"3\"/>"
                       "<text x=\"{4:.1f}\" y=\"{5:.1f}\" font-size=\"12\">{6}</text>\n",
                       kLeft, kLeft + 30, y, kColours[k % std::size(kColours)], kLeft + 38, y + 4,
                       xml_escape(series[k].name));
  }
  return out + rss + "</svg>\n";
}

}  // namespace torchdiag
