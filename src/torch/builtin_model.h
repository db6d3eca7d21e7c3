#pragma once
#include <torch/script.h>

#include <vector>

namespace torchdiag {

/// A small conv + linear network defined in TorchScript source (no file needed).
/// One forward of the default input (8x3x64x64) takes milliseconds on one core.
torch::jit::Module make_builtin_model();

/// The built-in model's default input shape.
std::vector<int64_t> builtin_input_shape();

}  // namespace torchdiag
