#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

namespace torchdiag {
namespace {

/// The display unit for a largest value: (unit, base units per display unit).
std::pair<std::string, double> display_unit(Quantity q, double max) {
  switch (q) {
    case Quantity::kSeconds:
      if (max >= 1) return {"s", 1};
      if (max >= 1e-3) return {"ms", 1e-3};
      return {"us", 1e-6};
    case Quantity::kPerSecond:
      if (max >= 1e6) return {"M items/s", 1e6};
      if (max >= 1e3) return {"k items/s", 1e3};
      return {"items/s", 1};
    case Quantity::kBytes:
      if (max >= double(1 << 30)) return {"GiB", double(1 << 30)};
      return {"MiB", double(1 << 20)};
    case Quantity::kTime: return {"s", 1};
    case Quantity::kCount: break;
  }
  return {"", 1};
}

}  // namespace

double nice_step(double top, int ticks) {
  if (top <= 0) return 1;
  const double raw = top / ticks * (1 - 1e-6);  // 10.000001 s in 5 ticks is still a step of 2
  const double base = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0}) {
    if (m * base >= raw) return m * base;
  }
  return 10 * base;
}

double Axis::at(double v, double from, double to) const {
  double f;
  if (log) {
    const double c = std::clamp(v, lo, hi);
    f = (std::log10(c) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
  } else {
    f = (std::clamp(v, lo, hi) - lo) / (hi - lo);
  }
  return from + (to - from) * f;
}

std::string Axis::label(double v) const {
  const double d = v / scale;
  if (d != 0 && std::abs(d) >= 1e4) return fmt::format("{:g}k", d / 1e3);
  return fmt::format("{:g}", std::round(d * 1e6) / 1e6);
}

Axis value_axis(const std::vector<double>& values, Quantity q, bool allow_log) {
  double max = 0, min = 0;
  bool any = false;
  for (const double v : values) {
    if (!std::isfinite(v)) continue;
    max = any ? std::max(max, v) : v;
    min = any ? std::min(min, v) : v;
    any = true;
  }
  Axis a;
  if (!any || max <= 0) max = 1;
  std::tie(a.unit, a.scale) = display_unit(q, max);
  if (allow_log && any && min > 0 && max / min > 10) {
    a.log = true;
    a.lo = std::pow(10.0, std::floor(std::log10(min)));
    a.hi = std::pow(10.0, std::ceil(std::log10(max)));
    for (double decade = a.lo; decade < a.hi * 1.0001; decade *= 10) {
      for (const double m : {1.0, 2.0, 5.0}) {
        if (m * decade <= a.hi * 1.0001) a.ticks.push_back(m * decade);
      }
    }
    return a;
  }
  const double top = max / a.scale;
  const double step = nice_step(top, 5);
  a.lo = 0;
  a.hi = std::ceil(top / step - 1e-9) * step * a.scale;
  for (double t = 0; t <= a.hi / a.scale + step / 2; t += step) a.ticks.push_back(t * a.scale);
  return a;
}

const char* series_colour(size_t i) {
  static const char* const kColours[] = {"#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
                                         "#f0e442", "#000000"};
  return kColours[i % std::size(kColours)];
}

}  // namespace torchdiag
