#pragma once
// The guided search of `recommend --measure`: pure functions over a space of deployment
// configurations and a runner that measures one (a real sweep of workers, or a fake in
// tests). It starts from the quick answer, climbs to a neighbour while the objective
// improves by more than the noise, stops early when a step gains under the minimum gain,
// and never chooses a configuration that violates a constraint.
#include <functional>
#include <string>
#include <vector>

#include "model/measured_profile.h"
#include "model/recommendation.h"

namespace torchdiag {

/// The values each axis may take, each sorted ascending and non-empty.
struct SearchSpace {
  std::vector<int> threads, interop, streams, workers;
  std::vector<Allocator> allocators;
  /// Points beyond these are outside the space: more workers x streams than usable
  /// threads, or more threads in all than CPUs in the mask, only oversubscribe.
  long long max_demand = 1LL << 40, max_total = 1LL << 40;
  bool contains(const SearchPoint& p) const {
    const long long demand = static_cast<long long>(p.workers) * p.streams;
    return demand <= max_demand && demand * p.threads <= max_total;
  }
  /// The number of points in the space.
  size_t size() const;
};

/// What the user fixed on the command line; the other axes are searched.
struct SearchAxes {
  std::optional<int> streams;  ///< --streams given
  std::optional<int> workers;  ///< --workers given
  std::vector<Allocator> allocators = {Allocator::kGlibc};
};

/// The space for these facts: threads 1, 2, 4 ... up to the whole affinity mask per
/// worker x stream plus the quick share; inter-op 1 and 2 (when 2 threads are usable);
/// streams and workers 1, 2, 4 ... up to the usable threads unless fixed, with workers x
/// streams at most the usable threads and all threads at most the mask (unless the
/// fixed axes alone exceed them).
SearchSpace search_space(const RecommendFacts& facts, const SearchAxes& axes);

/// The quick answer as a point of `space`: its share of the usable threads, inter-op 1,
/// the fixed (or smallest) streams and workers, the first allocator.
SearchPoint start_point(const RecommendFacts& facts, const SearchSpace& space);

/// Measures one configuration.
using PointRunner = std::function<PointResult(const SearchPoint&)>;

struct SearchSettings {
  Objective objective = Objective::kThroughput;
  Constraints constraints;
  double tolerance = 0.03;   ///< smallest difference taken for real, and the noise floor
  double min_gain = 0.05;    ///< a move gaining less than this ends the search
  bool exhaustive = false;   ///< measure every point of the space instead of climbing
  std::function<bool()> out_of_time;  ///< true: no further configuration is started
};

/// The cost the search minimises (lower is better), CFS throttling penalised because it
/// turns into tail latency under load: throughput 1 / (items/s x (1 - throttled)),
/// latency p50 x (1 + throttled), p99 as measured. Infinity for a failed result.
double objective_cost(const PointResult& r, Objective objective);

/// "" when `r` keeps every constraint, else the first violation ("p99 12.1 ms > --max-p99 10 ms").
std::string constraint_violation(const PointResult& r, const Constraints& c);

/// The search (or, with `exhaustive`, every point in order). `chosen` is the feasible
/// step using the fewest threads (workers x streams x threads) among those within the
/// tolerance of the best feasible cost; nullopt when none is feasible.
SearchOutcome run_search(const SearchSpace& space, const SearchPoint& start, const PointRunner& run,
                         const SearchSettings& settings);

/// The best figure of the objective a step reached, for people: "812.4 items/s", "p50 3.10 ms".
std::string objective_figure(const PointResult& r, Objective objective);

}  // namespace torchdiag
