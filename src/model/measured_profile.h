#pragma once
// What `recommend --measure` searched and found, and the profile it saves so that
// `recommend --profile FILE` applies the measured answer instantly.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/bench_spec.h"
#include "model/enum_names.h"

namespace torchdiag {

inline constexpr const char* kProfileSchema = "torchdiag.profile/1";

/// What the search optimises.
enum class Objective { kThroughput, kLatency, kP99 };
constexpr EnumNames<Objective, 3> names_of(Objective) {
  return {{{Objective::kThroughput, "throughput"}, {Objective::kLatency, "latency"}, {Objective::kP99, "p99"}}};
}

/// Limits a recommended setting must keep; unset ones do not constrain.
struct Constraints {
  std::optional<double> max_p99_s;       ///< --max-p99
  std::optional<int64_t> max_rss_bytes;  ///< --max-rss, summed over the workers
  std::optional<double> min_throughput;  ///< --min-throughput, items/s over all workers
  bool any() const { return max_p99_s || max_rss_bytes || min_throughput; }
};

/// One configuration of a deployment: W processes x S engine threads, each process with
/// T intra-op and I inter-op threads, on one allocator.
struct SearchPoint {
  int threads = 1;
  int interop = 1;
  int streams = 1;
  int workers = 1;
  Allocator allocator = Allocator::kGlibc;
  bool operator==(const SearchPoint& o) const {
    return threads == o.threads && interop == o.interop && streams == o.streams && workers == o.workers &&
           allocator == o.allocator;
  }
  bool operator!=(const SearchPoint& o) const { return !(*this == o); }
};

/// "4 threads x 1 inter-op, 2 streams x 1 worker, glibc"
inline std::string describe_point(const SearchPoint& p) {
  return fmt::format("{} thread(s) x {} inter-op, {} stream(s) x {} worker(s), {}", p.threads, p.interop,
                     p.streams, p.workers, to_string(p.allocator));
}

/// What one configuration measured (all its workers together).
struct PointResult {
  bool ok = false;
  std::string error;                      ///< why not ok
  double p50_s = 0, p99_s = 0;            ///< per call, over every worker and stream
  double throughput_per_s = 0;            ///< items/s, summed over the workers
  std::optional<int64_t> peak_rss_bytes;  ///< summed over the workers
  double throttled_fraction = 0;          ///< CFS periods throttled, 0..1
  double noise = 0;                       ///< relative run-to-run noise of the objective's figure
};

/// One step of the search path: a configuration, its result and what the search made of it.
struct SearchStep {
  SearchPoint point;
  PointResult result;
  bool feasible = false;  ///< ok and within every constraint
  std::string verdict;    ///< "start", "moved: +12.0% throughput (noise 3.1%)", "violates --max-p99 ..."
};

/// The whole search: every configuration tried, in order, and why it stopped.
struct SearchOutcome {
  Objective objective = Objective::kThroughput;
  Constraints constraints;
  std::vector<SearchStep> steps;
  std::optional<size_t> chosen;  ///< index into steps; nullopt: no configuration satisfied
  std::string stop_reason;       ///< "converged: no neighbour gains more than the noise", "budget", ...
  double elapsed_s = 0;
};

/// The facts a profile was measured under; `recommend --profile` compares them.
struct ProfileFacts {
  int usable_threads = 1;
  std::optional<double> quota_cpus;
  std::optional<std::string> cpuset;  ///< the affinity mask (CPU list); nullopt: unknown
  std::string cpu_model;              ///< "" when unknown
  std::string torch_version;          ///< LibTorch in the workers; "" when unknown
  std::string workload = "forward";   ///< forward or index_select
  std::string model = "builtin";      ///< the TorchScript file as given, or "builtin"
  std::string model_hash;             ///< "fnv1a64:..." of the file's bytes; "" for the built-in model
  std::vector<std::string> inputs;    ///< --input shapes as given
};

/// A saved measurement (`torchdiag.profile/1`): what to run with, why, and under what.
struct MeasuredProfile {
  std::string created;                ///< UTC, ISO 8601
  SearchPoint chosen;
  std::string ld_preload;             ///< jemalloc path when the chosen allocator is jemalloc
  std::string malloc_conf;            ///< MALLOC_CONF paired with it
  SearchOutcome search;               ///< objective, constraints and every measured configuration
  bool constraints_met = true;        ///< false: nothing satisfied them, `chosen` is the safe setting
  ProfileFacts facts;
};

}  // namespace torchdiag
