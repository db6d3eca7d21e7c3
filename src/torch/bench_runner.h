#pragma once
#include <functional>

#include <nlohmann/json.hpp>

namespace torchdiag {

/// Called around the timed window only (not model load, not warm-up); `end`
/// returns counters to attach to the result as "counters".
struct WindowHooks {
  std::function<void()> start;
  std::function<nlohmann::json()> end;
};

/// Runs one benchmark configuration inside the worker and emits "phase" and
/// "result" (or "error") messages. Returns the worker's exit code.
int run_bench_request(const nlohmann::json& spec, const WindowHooks& hooks,
                      const std::function<void(const nlohmann::json&)>& emit);

}  // namespace torchdiag
