#pragma once
// A value or the reason there is none: the one way a recoverable failure is returned.
// Exceptions are for the CLI boundary (commands/) only.
#include <optional>
#include <string>
#include <utility>

namespace torchdiag {

template <class T>
class Expected {
 public:
  Expected(T value) : value_(std::move(value)) {}  // NOLINT: implicit, like std::optional
  /// A failure; `why` is a sentence fragment a user can act on ("no such file").
  static Expected failure(std::string why) {
    Expected e;
    e.error_ = std::move(why);
    return e;
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const T& value() const { return *value_; }
  T& value() { return *value_; }
  const T& operator*() const { return *value_; }
  T& operator*() { return *value_; }
  const T* operator->() const { return &*value_; }
  T* operator->() { return &*value_; }
  /// Why there is no value; "" when there is one.
  const std::string& error() const { return error_; }

 private:
  Expected() = default;
  std::optional<T> value_;
  std::string error_;
};

}  // namespace torchdiag
