#pragma once
// Records a few calls of the timed operation with LibTorch's profiler (the legacy
// autograd profiler: the C++ API this LibTorch ships without Kineto), after the timed
// window, so latencies stay clean.
#include <functional>

#include "model/op_profile.h"

namespace torchdiag {

/// Runs `op` up to `max_calls` times (at least once, and no more once `max_s` seconds
/// of calls have passed) with the profiler on, each call inside a "torchdiag::call"
/// range. Every range of every thread, with depth and (when `shapes`) input shapes.
/// Throws what op throws.
ProfileSample profile_calls(const std::function<void()>& op, int max_calls, double max_s, bool shapes);

}  // namespace torchdiag
