#pragma once
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "model/torch_facts.h"

namespace torchdiag {

/// Starts torchdiag-worker with `env` and asks for LibTorch's view ("info"). Any
/// failure (worker missing, crash, timeout, bad output) gives available=false with
/// the reason; never throws.
TorchFacts probe_torch(const std::map<std::string, std::string>& env, double timeout_s = 30);

/// Parses the "torch" object of an info message (the inverse of torch_to_json).
TorchFacts torch_from_json(const nlohmann::json& j);

}  // namespace torchdiag
