#include "bench/input_spec.h"

#include "util/strings.h"

namespace torchdiag {

bool is_known_dtype(const std::string& d) {
  for (const char* k : {"float32", "float", "float64", "double", "float16", "half", "bfloat16",
                        "int64", "long", "int32", "int", "int16", "int8", "uint8", "bool"}) {
    if (d == k) return true;
  }
  return false;
}

std::string parse_input_spec(const std::string& text, InputSpec& out) {
  out = InputSpec{};
  std::string shape = text;
  const auto colon = text.find(':');
  if (colon != std::string::npos) {
    shape = text.substr(0, colon);
    out.dtype = text.substr(colon + 1);
    if (!is_known_dtype(out.dtype)) return "unknown dtype '" + out.dtype + "'";
  }
  if (shape.empty()) return "empty shape";
  for (const auto dim : split(shape, 'x')) {
    const auto v = parse_int(trim(dim));
    if (!v || *v <= 0 || *v > (int64_t{1} << 31)) {
      return "bad dimension '" + std::string(dim) + "' (expected positive integers like 1x3x224x224)";
    }
    out.shape.push_back(*v);
  }
  return "";
}

}  // namespace torchdiag
