#pragma once
#include <string>

namespace torchdiag {

/// Checks that `path` looks like a TorchScript archive before LibTorch sees it:
/// a regular file (never a FIFO, device or directory, which is not even read), readable,
/// non-empty, a zip (TorchScript's container), not a Python pickle.
/// Returns "" when it looks right, else the reason ("not a TorchScript archive (zip
/// header missing)"), without the path.
std::string check_model_file(const std::string& path);

}  // namespace torchdiag
