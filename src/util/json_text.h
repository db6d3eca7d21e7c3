#pragma once
// The one way torchdiag turns JSON into text. Strings come from anywhere (environment
// values, model paths, file contents, LibTorch's messages) and may hold invalid UTF-8,
// which nlohmann::json refuses to serialise by default; here every invalid sequence
// becomes U+FFFD, so any bytes in still give valid JSON out.
#include <string>

#include <nlohmann/json.hpp>

namespace torchdiag {

/// `indent` < 0: one line (the worker protocol); otherwise pretty-printed.
template <class Json>
std::string json_text(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace torchdiag
