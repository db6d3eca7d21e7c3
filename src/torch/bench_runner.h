#pragma once
#include <functional>

#include "model/bench_spec.h"
#include "wire/protocol.h"

namespace torchdiag {

/// Called around the timed window only (not model load, not warm-up); `end` returns
/// the counters to attach to the result.
struct WindowHooks {
  std::function<void()> start;
  std::function<WindowCounters()> end;
};

/// Runs one benchmark configuration inside the worker and emits the phase and result
/// (or error) messages. Returns the worker's exit code.
int run_bench_request(const BenchSpec& spec, const WindowHooks& hooks,
                      const std::function<void(const wire::Message&)>& emit);

}  // namespace torchdiag
