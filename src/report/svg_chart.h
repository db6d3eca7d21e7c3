#pragma once
// The pieces every chart the tool draws shares: numeric axes with 1-2-5 ticks in a unit
// chosen for the axis (linear, or logarithmic when the values span more than 10x), and
// one colour per series kind.
#include <string>
#include <vector>

namespace torchdiag {

/// What an axis measures; its display unit is chosen from the largest value.
enum class Quantity { kSeconds, kPerSecond, kBytes, kCount, kTime };

struct Axis {
  double lo = 0, hi = 1;            ///< in base units (seconds, bytes, ...)
  bool log = false;
  std::vector<double> ticks;        ///< in base units, inside [lo, hi]
  std::string unit;                 ///< "ms", "items/s", "MiB", "" for counts
  double scale = 1;                 ///< base units per display unit
  /// The position of `v` between pixel `from` (at lo) and `to` (at hi); values outside
  /// the range are clamped to it.
  double at(double v, double from, double to) const;
  /// A tick's label in the display unit: "0.5", "20", "1k".
  std::string label(double v) const;
};

/// An axis that holds every value in `values` (at least one tick step of headroom is
/// never added: the top tick is the first 1-2-5 multiple at or above the largest value).
/// Logarithmic when `allow_log`, every value is positive and max/min > 10.
Axis value_axis(const std::vector<double>& values, Quantity q, bool allow_log);

/// The colour of series `i` (a fixed, colour-blind-friendly cycle).
const char* series_colour(size_t i);

/// 1, 2 or 5 times a power of ten: the step that gives about `ticks` ticks up to `top`.
double nice_step(double top, int ticks);

}  // namespace torchdiag
