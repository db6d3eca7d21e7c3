#pragma once
#include <map>
#include <string>

#include "model/torch_facts.h"

namespace torchdiag {

/// Starts torchdiag-worker with `env` and asks for LibTorch's view ("info"). Any
/// failure (worker missing, crash, timeout, bad output) gives available=false with
/// the reason; never throws.
TorchFacts probe_torch(const std::map<std::string, std::string>& env, double timeout_s = 30);

}  // namespace torchdiag
