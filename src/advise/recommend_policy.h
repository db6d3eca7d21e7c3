#pragma once
// The recommendation policy: pure functions from facts (and the user's environment)
// to the thread settings a deployment should run with.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/inspect_report.h"
#include "model/recommendation.h"

namespace torchdiag {

/// What the user asked for on the command line.
struct RecommendRequest {
  int workers = 1;            ///< processes sharing the CPUs; values below 1 count as 1
  int streams = 1;            ///< engine threads per process; values below 1 count as 1
  bool override_env = false;  ///< replace thread variables already set in the environment
};

/// A thread count found by measuring (recommend --measure), and the settings the
/// measurements support beyond the thread variables.
struct MeasuredEvidence;

/// Everything the policy decides on. Built from an InspectReport (inputs_from_report) or
/// by hand in tests; further evidence is added here as new fields.
struct RecommendInputs {
  RecommendFacts facts;                    ///< capacity, quota, affinity, workers, streams
  std::map<std::string, std::string> env;  ///< variables already set (name -> value)
  bool override_env = false;
  std::vector<Problem> problems;      ///< failures met while gathering the facts
  std::vector<Warning> warnings;  ///< degraded facts worth a warning
  std::shared_ptr<const MeasuredEvidence> measured;  ///< set by --measure; null: quick mode
};

/// The intra-op thread count chosen for one process, with its evidence.
struct ThreadDecision {
  int threads = 1;
  std::string reason;  ///< "2 = max(1, 4 usable threads / (2 workers x 1 stream)); ..."
  std::vector<Candidate> candidates;  ///< the chosen one marked
};

struct MeasuredEvidence {
  RecommendMode mode = RecommendMode::kMeasure;  ///< measured here, or from a profile
  ThreadDecision decision;         ///< the measured thread count and its candidates
  std::vector<EnvSetting> extra;   ///< e.g. LD_PRELOAD + MALLOC_CONF, only when measured to help
  SearchPoint chosen;              ///< the deployment shape: workers, streams, inter-op threads
  std::optional<SearchOutcome> search;  ///< measure: the search path
  std::optional<ProfileUse> profile;    ///< profile: how it was used
};

/// max(1, usable_threads / (workers * streams)), integer division; never below 1, and
/// non-positive arguments count as 1.
int intra_op_share(int usable_threads, int workers, int streams);

/// Turns inspect facts (capacity filled in) into policy inputs: cgroup warnings and
/// unreadable CPU counts become problems, an unreadable environment a warning.
RecommendInputs inputs_from_report(const InspectReport& report, const RecommendRequest& request);

/// Inputs for the safe answer when no facts could be gathered at all: capacity unknown,
/// 1 usable thread, `why` recorded as a problem.
RecommendInputs fallback_inputs(const Problem& why, const std::map<std::string, std::string>& env,
                                const RecommendRequest& request);

/// The thread count for one process in quick mode, from the facts alone.
ThreadDecision choose_threads(const RecommendFacts& facts);

/// The full recommendation: OMP_NUM_THREADS and MKL_NUM_THREADS always, user values kept
/// unless override_env (invalid ones replaced, recorded as problems), warnings for kept
/// values above the usable threads and for workers x streams above them. Never throws.
Recommendation recommend(const RecommendInputs& inputs);

}  // namespace torchdiag
