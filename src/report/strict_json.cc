#include "report/strict_json.h"

#include <algorithm>

#include <fmt/format.h>

#include "util/strings.h"

namespace torchdiag {
namespace {

using nlohmann::json;

/// Validates JSON text without building it: where it breaks, and that it does not nest
/// deeper than allowed (a few MiB of '[' would cost a DOM node each).
class ShapeCheck : public nlohmann::json_sax<json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(size_t) override { return enter(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return leave(); }
  bool start_array(size_t) override { return enter(); }
  bool end_array() override { return leave(); }
  bool parse_error(size_t position, const std::string&, const nlohmann::json::exception&) override {
    error_byte = position;
    return false;
  }

  int max_depth = 32;
  bool too_deep = false;
  size_t error_byte = 0;  ///< 1-based; one past the end when the text stops early

 private:
  bool enter() {
    too_deep = ++depth_ > max_depth;
    return !too_deep;
  }
  bool leave() {
    --depth_;
    return true;
  }
  int depth_ = 0;
};

}  // namespace

std::string json_shape_problem(std::string_view text, int max_depth, const char* what) {
  ShapeCheck check;
  check.max_depth = max_depth;
  if (json::sax_parse(text.begin(), text.end(), &check)) return "";
  if (check.too_deep) return fmt::format("nested deeper than {} levels, not a torchdiag {}", max_depth, what);
  const size_t byte = std::min(std::max<size_t>(check.error_byte, 1), text.size());
  return fmt::format("not valid JSON (truncated or corrupted at byte {})", byte);
}

std::string shown(const std::string& text) {
  const bool cut = text.size() > 80;
  return printable(sanitize_utf8(std::string_view(text).substr(0, 80))) + (cut ? "..." : "");
}

}  // namespace torchdiag
