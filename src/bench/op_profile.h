#pragma once
// What the profiled calls say: the operator table of one configuration, and how each
// top operator's time changes with the thread count across configurations.
#include <string>
#include <vector>

#include "model/bench_result.h"
#include "model/op_profile.h"

namespace torchdiag {

/// Operators kept in a configuration's table (most self time first).
inline constexpr size_t kMaxTableOps = 100;
/// Operators followed across thread counts.
inline constexpr size_t kMaxScalingOps = 10;

/// The operator table of one configuration. An operator is a range whose name has a
/// namespace ("aten::linear", "prim::..."); its self time excludes the ranges nested in
/// it. Top-level operators are those with no operator around them on the calling
/// thread; framework_overhead_fraction = 1 - their time / the calls' wall time.
/// `by_shapes` splits an operator's rows by input shapes.
OpProfile summarize_profile(const ProfileSample& sample, bool by_shapes);

/// For each workload, the first group of rows (same model, inter-op, streams and
/// allocator) profiled at two or more thread counts ("current" counts as the threads
/// LibTorch used): the top operators by self time at the fewest threads, their self
/// time and speed-up at each count, and a one-line reading.
std::vector<OpScaling> op_scaling(const std::vector<BenchRow>& rows);

}  // namespace torchdiag
