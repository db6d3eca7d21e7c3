#pragma once
#include "model/torch_facts.h"

namespace torchdiag {

/// LibTorch's view of the current process: version, backend, the thread counts it
/// picked by itself (nothing is set before asking), BLAS, thread pools, allocator.
TorchFacts torch_runtime_view();

/// The LibTorch version string, e.g. "1.13.1".
const char* torch_version();

}  // namespace torchdiag
