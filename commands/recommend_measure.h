#pragma once
// recommend --measure: a guided search of deployment configurations in fresh workers
// (inside a cgroup with the target's limits when --cpus/--cpuset name one), and the
// profile it can save.
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "advise/recommend_policy.h"
#include "advise/search_policy.h"
#include "bench/sweep_options.h"
#include "model/measured_profile.h"

namespace torchdiag::cli {

struct MeasureOptions {
  bool measure = false;
  double budget_s = 10;
  std::string objective = "throughput";
  double tolerance_pct = 3;
  std::string workload;  ///< "" = forward
  SweepOptions sweep;    ///< --model and --input
  std::string allocators = "glibc";
  std::string max_p99, max_rss, min_throughput;  ///< constraints, as given
  std::string search = "guided";                 ///< or "exhaustive"
  std::string save;                              ///< --save FILE: the profile
  /// --measure given, or a model or workload named (which implies it).
  bool wanted() const { return measure || !sweep.spec.model.empty() || !workload.empty(); }
};

void add_measure_options(CLI::App& cmd, MeasureOptions& o);

/// Usage errors (exit 2) for bad measure options, before anything runs.
void check_measure_options(const MeasureOptions& o, bool has_root);

/// --max-p99, --max-rss and --min-throughput, checked (usage errors name the option).
Constraints measure_constraints(const MeasureOptions& o);

/// What a measurement found: the evidence for the policy and the profile to save.
struct MeasureRun {
  MeasuredEvidence evidence;
  MeasuredProfile profile;
};

/// Searches within the budget (a deadline) on this machine, inside a cgroup with the
/// target's limits when `facts.target` has CPU limits and one can be made (else with a
/// warning that it measured without them). `profile_facts` are this node's facts for the
/// profile (CPU model ...). A search where nothing kept the constraints answers `quick`
/// and adds a problem. Throws std::runtime_error when nothing could be measured.
MeasureRun run_measurement(const MeasureOptions& o, const RecommendFacts& facts, const SearchAxes& axes,
                           const ThreadDecision& quick, ProfileFacts profile_facts, std::vector<Warning>& warnings,
                           std::vector<Problem>& problems);

}  // namespace torchdiag::cli
