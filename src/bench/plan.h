#pragma once
#include <optional>
#include <string>
#include <vector>

#include "model/bench_spec.h"

namespace torchdiag {

/// One entry of the thread axis: a count, or nullopt for "current" (nothing set by
/// torchdiag, LibTorch's default).
using ThreadChoice = std::optional<int>;

/// Parses "auto" or a list like "1,2,4,current". auto = 1, powers of two below
/// `usable`, `usable`, `online`, and current. Returns an error text, or "".
std::string plan_threads(const std::string& text, int usable, int online,
                         std::vector<ThreadChoice>& out);

/// Parses a comma-separated list of positive integers in [1, max] ("1,2,4").
/// `what` names the option in the error text. Returns an error text, or "".
std::string parse_count_list(const std::string& text, const std::string& what, int max,
                             std::vector<int>& out);

/// The cross product workloads x allocators x streams x threads, in that nesting
/// order, each copied from `base`.
std::vector<BenchSpec> plan_sweep(const BenchSpec& base, const std::vector<Workload>& workloads,
                                  const std::vector<ThreadChoice>& threads, const std::vector<int>& streams,
                                  const std::vector<Allocator>& allocators);

}  // namespace torchdiag
