#pragma once
// `recommend --profile`: a saved measurement applied to the facts found here, instantly.
// Pure: the caller reads the profile and the facts.
#include <optional>
#include <string>

#include "advise/recommend_policy.h"
#include "model/measured_profile.h"

namespace torchdiag {

/// What is known here to compare a profile with.
struct ProfileContext {
  std::string path;                       ///< the profile, as given
  std::string cpu_model;                  ///< "" when unknown
  std::optional<std::string> model_hash;  ///< the --model file's hash, when one was named
  std::string jemalloc_path;              ///< installed here; "" when not
};

/// The profile's answer for these facts, or nullopt when it must not be used (then
/// `use` says why and the caller answers in quick mode):
/// - a different CPU model or model file: not used, the measurement does not carry over;
/// - different usable threads: the thread count scales with them,
///   threads = max(1, floor(threads x usable here / usable in the profile)), workers and
///   streams kept (the server's shape);
/// - a different quota or cpuset with the same usable threads: used as measured, noted;
/// - jemalloc chosen but not installed here: used without the preload, noted.
std::optional<MeasuredEvidence> apply_profile(const MeasuredProfile& profile, const RecommendFacts& here,
                                              const ProfileContext& context, ProfileUse& use,
                                              std::vector<Warning>& warnings);

}  // namespace torchdiag
