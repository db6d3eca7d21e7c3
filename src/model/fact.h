#pragma once
// A fact that may be unavailable. Failures are data: every format shows the reason.
#include <optional>
#include <string>
#include <utility>

namespace torchdiag {

/// A value read from the system, or the reason (and the path) it could not be read.
template <class T>
struct Fact {
  std::optional<T> value;
  std::string reason;  ///< why the value is missing; empty when present
  std::string path;    ///< file the value came from (or should have come from)

  bool ok() const { return value.has_value(); }
  static Fact known(T v, std::string from = {}) { return Fact{std::move(v), {}, std::move(from)}; }
  static Fact unavailable(std::string why, std::string from = {}) {
    return Fact{std::nullopt, std::move(why), std::move(from)};
  }
  /// "unavailable (reason, path)" for reports.
  std::string why() const {
    return "unavailable (" + reason + (path.empty() ? "" : ", " + path) + ")";
  }
};

}  // namespace torchdiag
