#pragma once
// Forward inputs as options name them: "1x3x224x224" or "8x64:int64".
#include <string>

#include "model/bench_spec.h"

namespace torchdiag {

/// Parses "1x3x224x224" or "8x64:int64". Returns an error text, or "" on success.
std::string parse_input_spec(const std::string& text, InputSpec& out);
/// True for the dtype names InputSpec accepts.
bool is_known_dtype(const std::string& dtype);

}  // namespace torchdiag
