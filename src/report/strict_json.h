#pragma once
// Reading a JSON document from an untrusted file strictly: where its text breaks (and a
// nesting limit) before anything is built, then each field by its path with its type
// and range checked, the first failure kept as a one-line reason ("'search.steps[3].
// result.p99_s': expected a finite number >= 0"). Used for measured profiles.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/enum_names.h"
#include "util/strings.h"

namespace torchdiag {

/// "" when `text` is JSON nesting at most `max_depth` levels, else why not: "not valid
/// JSON (truncated or corrupted at byte N)", "nested deeper than N levels, not a
/// torchdiag WHAT". Builds nothing.
std::string json_shape_problem(std::string_view text, int max_depth, const char* what);

/// A string from the file, safe to show in a one-line message: at most 80 bytes (then
/// "..."), valid UTF-8, no control characters.
std::string shown(const std::string& text);

/// No upper bound for JsonField::number.
inline constexpr double kNoLimit = std::numeric_limits<double>::infinity();
/// The longest string JsonField::text accepts unless told otherwise.
inline constexpr size_t kMaxJsonTextBytes = 4096;

/// The first failure of a read; later ones follow from it and are dropped.
class JsonErrors {
 public:
  void add(const std::string& path, std::string_view what) {
    if (first_.empty()) first_ = fmt::format("'{}': {}", path, what);
  }
  bool any() const { return !first_.empty(); }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

/// A value of the document with its path ("search.steps[3].result.p99_s"); missing when
/// the member is absent (or its parent was not an object). Each reader checks type and
/// range, records a failure and returns a default when they are wrong.
class JsonField {
 public:
  JsonField(const nlohmann::json* value, std::string path, JsonErrors& errors) : value_(value), path_(std::move(path)), errors_(&errors) {}

  JsonField operator[](const char* key) const {
    const nlohmann::json* member = nullptr;
    if (value_ && value_->is_object()) {
      const auto it = value_->find(key);
      if (it != value_->end()) member = &*it;
    }
    return JsonField(member, path_.empty() ? key : path_ + "." + key, *errors_);
  }
  JsonField at(size_t index) const {
    const nlohmann::json* element = value_ && value_->is_array() && index < value_->size() ? &(*value_)[index] : nullptr;
    return JsonField(element, fmt::format("{}[{}]", path_, index), *errors_);
  }

  bool present() const { return value_ != nullptr; }
  bool is_null() const { return value_ && value_->is_null(); }
  void fail(std::string_view what) const { errors_->add(path_, value_ ? what : "missing"); }

  bool require_object() const {
    if (value_ && value_->is_object()) return true;
    fail("expected an object");
    return false;
  }
  /// The array's size; 0 after a failure.
  size_t require_array(size_t max, const char* items) const {
    if (value_ && value_->is_array() && value_->size() <= max) return value_->size();
    fail(fmt::format("expected an array of at most {} {}", max, items));
    return 0;
  }

  int64_t integer(int64_t lo, int64_t hi, std::string_view expected) const {
    std::optional<int64_t> v;
    if (value_ && value_->is_number_unsigned()) {
      const auto u = value_->get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) v = static_cast<int64_t>(u);
    } else if (value_ && value_->is_number_integer()) {
      v = value_->get<int64_t>();
    }
    if (v && *v >= lo && *v <= hi) return *v;
    fail(fmt::format("expected {}", expected));
    return lo;
  }

  /// A finite number in [lo, hi]; integers are taken as numbers.
  double number(double lo, double hi, std::string_view expected) const {
    if (value_ && value_->is_number()) {
      const auto v = value_->get<double>();
      if (std::isfinite(v) && v >= lo && v <= hi) return v;
    }
    fail(fmt::format("expected {}", expected));
    return lo;
  }
  double non_negative() const { return number(0, kNoLimit, "a finite number >= 0"); }

  std::string text(size_t max_bytes = kMaxJsonTextBytes) const {
    if (value_ && value_->is_string() && value_->get_ref<const std::string&>().size() <= max_bytes) {
      return value_->get<std::string>();
    }
    fail(fmt::format("expected a string of at most {} bytes", max_bytes));
    return "";
  }

  bool flag() const {
    if (value_ && value_->is_boolean()) return value_->get<bool>();
    fail("expected true or false");
    return false;
  }

  /// An enum value by its name in the enum's table (model/enum_names.h).
  template <class E>
  E choice(const char* what) const {
    std::vector<std::string> known;
    for (const auto& [e, name] : names_of(E{})) known.push_back(name);
    if (!value_ || !value_->is_string()) {
      fail(fmt::format("expected a string, one of {}", join(known, ", ")));
      return E{};
    }
    const auto& name = value_->get_ref<const std::string&>();
    if (const auto e = parse_enum<E>(name)) return *e;
    fail(fmt::format("unknown {} '{}' (known: {})", what, shown(name), join(known, ", ")));
    return E{};
  }

 private:
  const nlohmann::json* value_;
  std::string path_;
  JsonErrors* errors_;
};

// Nullable values: null, or what the reader beside them accepts ("... or null").
inline std::optional<double> maybe_number(const JsonField& n, double lo, double hi, std::string_view expected) {
  if (n.is_null()) return std::nullopt;
  return n.number(lo, hi, fmt::format("{} or null", expected));
}
inline std::optional<int64_t> maybe_bytes(const JsonField& n) {
  if (n.is_null()) return std::nullopt;
  return n.integer(0, std::numeric_limits<int64_t>::max(), "an integer >= 0 or null");
}

}  // namespace torchdiag
