#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "model/bench_result.h"

namespace torchdiag {

/// The `torchdiag.bench/1` document: schema, context (facts the sweep ran under),
/// results (one object per configuration), warnings.
nlohmann::json bench_to_json(const BenchReport& report);

/// One result row as in "results".
nlohmann::json bench_row_to_json(const BenchRow& row);

/// CSV with a fixed header line; one line per configuration.
std::string bench_to_csv(const BenchReport& report);

/// The fixed CSV header (without newline).
const std::string& bench_csv_header();

}  // namespace torchdiag
