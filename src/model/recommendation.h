#pragma once
// What `torchdiag recommend` tells a deployment to run with, and why.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/capacity.h"
#include "model/measured_profile.h"
#include "model/warning.h"

namespace torchdiag {

inline constexpr const char* kRecommendSchema = "torchdiag.recommend/1";

/// How the answer was reached: from facts only, by a search measured here, or from a
/// saved profile of such a search.
enum class RecommendMode { kQuick, kMeasure, kProfile };
constexpr EnumNames<RecommendMode, 3> names_of(RecommendMode) {
  return {{{RecommendMode::kQuick, "quick"}, {RecommendMode::kMeasure, "measure"}, {RecommendMode::kProfile, "profile"}}};
}

/// What `recommend --profile` did with a profile.
enum class ProfileAction { kApplied, kScaled, kFellBack };
constexpr EnumNames<ProfileAction, 3> names_of(ProfileAction) {
  return {{{ProfileAction::kApplied, "applied"}, {ProfileAction::kScaled, "scaled"}, {ProfileAction::kFellBack, "fell-back"}}};
}

/// A profile as `recommend --profile` used it: the facts that differ from here, and what
/// was done about them.
struct ProfileUse {
  std::string path;
  ProfileAction action = ProfileAction::kApplied;
  std::vector<std::string> differences;  ///< "usable threads: 4 in the profile, 2 here"
  std::string rule;                      ///< how the answer follows from the profile
  std::string created;                   ///< when the profile was measured
};

/// Where a recommended value came from.
enum class SettingSource {
  kComputed,     ///< derived by the policy from the facts (and measurements, when any)
  kEnvironment,  ///< already set by the user and kept (no --override)
  kFollows,      ///< copied from its partner variable, which was kept from the environment
};

/// "computed", "environment" or "follows".
inline const char* setting_source_name(SettingSource s) {
  switch (s) {
    case SettingSource::kEnvironment: return "environment";
    case SettingSource::kFollows: return "follows";
    case SettingSource::kComputed: break;
  }
  return "computed";
}

/// One environment variable to set. Values never contain a newline.
struct EnvSetting {
  std::string name;
  std::string value;
  SettingSource source = SettingSource::kComputed;
  std::string reason;  ///< the evidence, readable on its own
};

/// The limits of the container the answer is for, when not this one (--cpus, --cpuset,
/// --memory: "what should a pod with a 4-CPU limit on this node use?").
struct TargetLimits {
  std::optional<double> cpus;            ///< a CPU limit, fractions allowed
  std::optional<std::string> cpuset;     ///< a CPU list ("0-3")
  std::optional<int64_t> memory_bytes;   ///< a memory limit
  bool any() const { return cpus || cpuset || memory_bytes; }
};

/// The facts a recommendation rests on (the "facts" object of the JSON form).
struct RecommendFacts {
  bool capacity_known = true;           ///< false: CPU facts unreadable, the safe minimum is used
  int usable_threads = 1;               ///< busy threads the CPUs sustain (see advise/capacity_rules.h)
  int allowed_cpus = 1;                 ///< ceil(min(quota, affinity count))
  LimitedBy limited_by = LimitedBy::kUnknown;  ///< what set usable_threads
  std::optional<double> quota_cpus;     ///< CFS quota in CPUs; nullopt when none is set
  std::string quota_source;             ///< file the quota came from
  std::optional<std::string> affinity;  ///< CPU list of the affinity mask ("0-3"); nullopt: unknown
  int affinity_cpus = 1;                ///< CPUs in the mask (intersected with the cpuset)
  std::optional<int> online_cpus;       ///< CPUs online on the host
  int workers = 1;                      ///< processes sharing the CPUs (--workers)
  int streams = 1;                      ///< engine threads per process (--streams)
  TargetLimits target;                  ///< set: the facts describe that container, not this one
};

/// A thread count that was considered, for the evidence table.
struct Candidate {
  int threads = 1;      ///< intra-op threads per process
  std::string label;    ///< what the number is, e.g. "usable threads / (workers x streams)"
  std::string verdict;  ///< why it was chosen or rejected
  bool chosen = false;
};

/// Something that went wrong while gathering facts; the answer fell back to a safe one.
/// `--strict` turns the first problem into an error.
struct Problem {
  std::string message;
  bool bad_input = false;  ///< caused by the user's input (a path, a variable), not the system
};

/// The answer of `torchdiag recommend`. Renderers only format this.
struct Recommendation {
  RecommendMode mode = RecommendMode::kQuick;
  int omp_num_threads = 1;      ///< the OMP_NUM_THREADS value in `env`, as an int
  std::vector<EnvSetting> env;  ///< variables to set, in output order
  RecommendFacts facts;
  std::vector<Candidate> candidates;  ///< thread counts considered, the chosen one marked
  std::vector<Problem> problems;      ///< failures met on the way (stderr; --strict fails)
  std::vector<Warning> warnings;  ///< advice the user should see (stderr)
  std::optional<int> interop_threads;  ///< measured (or from a profile); nullopt: LibTorch's default
  std::optional<SearchOutcome> search; ///< --measure: every configuration tried and why
  std::optional<ProfileUse> profile;   ///< --profile: how the profile was used
  std::string apply_command;           ///< --measure: the command that applies what was measured
};

}  // namespace torchdiag
