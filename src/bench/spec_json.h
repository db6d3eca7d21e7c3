#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "model/bench_spec.h"

namespace torchdiag {

nlohmann::json spec_to_json(const BenchSpec& spec);
/// Throws std::invalid_argument naming the bad field.
BenchSpec spec_from_json(const nlohmann::json& j);

/// Parses "1x3x224x224" or "8x64:int64". Returns an error text, or "" on success.
std::string parse_input_spec(const std::string& text, InputSpec& out);
/// True for the dtype names InputSpec accepts.
bool is_known_dtype(const std::string& dtype);

}  // namespace torchdiag
