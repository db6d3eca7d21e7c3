#pragma once
#include <torch/script.h>

#include <string>

namespace torchdiag {

/// Thrown for files that are not loadable models; `what()` is one line for the user.
struct ModelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Loads a TorchScript archive (CPU). Checks the file before LibTorch sees it, so
/// common mistakes get a precise reason: missing file, a Python pickle, no zip header.
torch::jit::Module load_model(const std::string& path, bool freeze);

/// The forward schema as text ("forward(Tensor x) -> Tensor"), "" when unknown.
std::string forward_schema(const torch::jit::Module& module);

}  // namespace torchdiag
