#include "advise/profile_policy.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "advise/measure_policy.h"
#include "advise/search_policy.h"

namespace torchdiag {
namespace {

std::string quota_text(const std::optional<double>& q) { return q ? fmt::format("{:g} CPUs", *q) : "none"; }

}  // namespace

std::optional<MeasuredEvidence> apply_profile(const MeasuredProfile& p, const RecommendFacts& here,
                                              const ProfileContext& ctx, ProfileUse& use,
                                              std::vector<Warning>& warnings) {
  use.path = ctx.path;
  use.created = p.created;
  const auto& pf = p.facts;
  std::vector<std::string> blocking;
  if (!pf.cpu_model.empty() && !ctx.cpu_model.empty() && pf.cpu_model != ctx.cpu_model) {
    blocking.push_back(fmt::format("CPU model: '{}' in the profile, '{}' here", pf.cpu_model, ctx.cpu_model));
  }
  if (ctx.model_hash && *ctx.model_hash != pf.model_hash) {
    blocking.push_back(fmt::format("model: {} ({}) in the profile, {} here", pf.model,
                                   pf.model_hash.empty() ? "the built-in model" : pf.model_hash, *ctx.model_hash));
  }
  const bool scale = here.capacity_known && here.usable_threads != pf.usable_threads;
  if (scale) {
    use.differences.push_back(
        fmt::format("usable threads: {} in the profile, {} here", pf.usable_threads, here.usable_threads));
  }
  if (here.quota_cpus != pf.quota_cpus) {
    use.differences.push_back(
        fmt::format("CPU quota: {} in the profile, {} here", quota_text(pf.quota_cpus), quota_text(here.quota_cpus)));
  }
  if (here.affinity && pf.cpuset && *here.affinity != *pf.cpuset) {
    use.differences.push_back(fmt::format("CPUs: {} in the profile, {} here", *pf.cpuset, *here.affinity));
  }
  use.differences.insert(use.differences.begin(), blocking.begin(), blocking.end());
  if (!blocking.empty() || !here.capacity_known) {
    use.action = ProfileAction::kFellBack;
    use.rule = !here.capacity_known ? "not used: the CPU facts here are unknown"
                                    : "not used: the measurement does not carry over to another "
                                      "CPU model or model file; the quick answer instead";
    warnings.push_back({"profile-not-used", fmt::format("profile {}: {}; {}", ctx.path, blocking.empty() ? "CPU facts unknown" : blocking.front(),
                                                        "answering from the CPU facts (quick mode); measure again here with --measure --save")});
    return std::nullopt;
  }
  MeasuredEvidence e;
  e.mode = RecommendMode::kProfile;
  e.chosen = p.chosen;
  const int measured = p.chosen.threads;
  if (scale) {
    const double ratio = static_cast<double>(here.usable_threads) / std::max(1, pf.usable_threads);
    e.chosen.threads = std::max(1, static_cast<int>(std::floor(measured * ratio)));
    use.action = ProfileAction::kScaled;
    use.rule = fmt::format("threads scaled with the usable threads: {} = max(1, floor({} x {} / {}))",
                           e.chosen.threads, measured, here.usable_threads, pf.usable_threads);
    warnings.push_back({"profile-scaled", fmt::format("profile {}: {}; {}", ctx.path, use.differences.front(), use.rule)});
  } else {
    use.action = ProfileAction::kApplied;
    use.rule = "applied as measured: the facts match";
  }
  e.decision.threads = e.chosen.threads;
  e.decision.reason = fmt::format("{} = from the profile {} measured {} ({}, {} for {}); {}", e.chosen.threads, ctx.path,
                                  p.created, describe_point(p.chosen),
                                  p.search.chosen && *p.search.chosen < p.search.steps.size()
                                      ? objective_figure(p.search.steps[*p.search.chosen].result, p.search.objective)
                                      : std::string("no figure"),
                                  to_string(p.search.objective), use.rule);
  e.decision.candidates.push_back({measured, "measured in the profile: " + describe_point(p.chosen),
                                   scale ? "scaled to the usable threads here" : "chosen: applied as measured", !scale});
  if (scale) e.decision.candidates.push_back({e.chosen.threads, "scaled to this node", "chosen: " + use.rule, true});
  if (p.chosen.allocator == Allocator::kJemalloc) {
    if (ctx.jemalloc_path.empty()) {
      use.differences.push_back("jemalloc: measured with it, not installed here");
      warnings.push_back({"profile-jemalloc-missing",
                          fmt::format("profile {}: measured with jemalloc, which is not installed here "
                                      "(apt-get install libjemalloc2); no preload is set",
                                      ctx.path)});
    } else {
      e.extra = allocator_settings(p.chosen, ctx.jemalloc_path, "measured faster in the profile " + ctx.path);
    }
  }
  if (!p.constraints_met) {
    warnings.push_back({"profile-constraints-unmet",
                        fmt::format("profile {}: no measured configuration kept its constraints; it holds the "
                                    "safe setting",
                                    ctx.path)});
  }
  e.profile = use;
  return e;
}

}  // namespace torchdiag
