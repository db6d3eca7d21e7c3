#pragma once
#include <functional>

#include <nlohmann/json.hpp>

namespace torchdiag {

/// Runs one benchmark configuration inside the worker and emits "phase" and
/// "result" (or "error") messages. Returns the worker's exit code.
int run_bench_request(const nlohmann::json& spec,
                      const std::function<void(const nlohmann::json&)>& emit);

}  // namespace torchdiag
