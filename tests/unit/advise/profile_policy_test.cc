// recommend --profile: when a saved measurement is applied as it is, scaled to this
// node's capacity, or not used at all.
#include <catch2/catch.hpp>

#include "advise/profile_policy.h"

using namespace torchdiag;

namespace {

MeasuredProfile profile(int threads, int usable, Allocator allocator = Allocator::kGlibc) {
  MeasuredProfile p;
  p.created = "2026-12-01T10:00:00Z";
  p.chosen = {threads, 1, 1, 2, allocator};
  p.facts.usable_threads = usable;
  p.facts.cpuset = "0-7";
  p.facts.cpu_model = "Intel(R) Xeon(R) Platinum 8480+";
  p.facts.model = "/models/resnet.pt";
  p.facts.model_hash = "fnv1a64:00000000000000aa";
  SearchStep step;
  step.point = p.chosen;
  step.result.ok = true;
  step.result.throughput_per_s = 812.5;
  step.feasible = true;
  p.search.steps.push_back(step);
  p.search.chosen = 0;
  return p;
}

RecommendFacts here(int usable) {
  RecommendFacts f;
  f.usable_threads = usable;
  f.affinity = "0-7";
  f.affinity_cpus = 8;
  return f;
}

ProfileContext context() {
  ProfileContext c;
  c.path = "/etc/torchdiag/profile.json";
  c.cpu_model = "Intel(R) Xeon(R) Platinum 8480+";
  c.jemalloc_path = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
  return c;
}

}  // namespace

TEST_CASE("profile: matching facts apply the measured settings as they are", "[recommend][profile]") {
  ProfileUse use;
  std::vector<Warning> warnings;
  const auto e = apply_profile(profile(4, 8), here(8), context(), use, warnings);
  REQUIRE(e);
  CHECK(e->mode == RecommendMode::kProfile);
  CHECK(e->decision.threads == 4);
  CHECK(e->chosen.workers == 2);
  CHECK(use.action == ProfileAction::kApplied);
  CHECK(use.differences.empty());
  CHECK(warnings.empty());
  CHECK(e->decision.reason.find("812.5 items/s") != std::string::npos);
  CHECK(e->extra.empty());
}

TEST_CASE("profile: other usable threads scale the thread count by the documented rule", "[recommend][profile]") {
  ProfileUse use;
  std::vector<Warning> warnings;
  auto e = apply_profile(profile(4, 8), here(4), context(), use, warnings);
  REQUIRE(e);
  CHECK(e->decision.threads == 2);  // floor(4 x 4 / 8)
  CHECK(e->chosen.workers == 2);    // the server's shape is kept
  CHECK(use.action == ProfileAction::kScaled);
  CHECK(use.rule == "threads scaled with the usable threads: 2 = max(1, floor(4 x 4 / 8))");
  REQUIRE_FALSE(use.differences.empty());
  CHECK(use.differences[0] == "usable threads: 8 in the profile, 4 here");
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].id == "profile-scaled");
  // Never below one thread, and more capacity scales up.
  use = {};
  e = apply_profile(profile(1, 8), here(2), context(), use, warnings);
  CHECK(e->decision.threads == 1);
  use = {};
  e = apply_profile(profile(2, 4), here(8), context(), use, warnings);
  CHECK(e->decision.threads == 4);
}

TEST_CASE("profile: another CPU model or model file falls back with a warning", "[recommend][profile]") {
  ProfileUse use;
  std::vector<Warning> warnings;
  auto ctx = context();
  ctx.cpu_model = "AMD EPYC 9654 96-Core Processor";
  CHECK_FALSE(apply_profile(profile(4, 8), here(8), ctx, use, warnings));
  CHECK(use.action == ProfileAction::kFellBack);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].id == "profile-not-used");
  CHECK(warnings[0].message.find("CPU model: 'Intel(R) Xeon(R) Platinum 8480+' in the profile, 'AMD EPYC 9654") !=
        std::string::npos);

  use = {};
  warnings.clear();
  ctx = context();
  ctx.model_hash = "fnv1a64:00000000000000bb";
  CHECK_FALSE(apply_profile(profile(4, 8), here(8), ctx, use, warnings));
  CHECK(use.differences[0].find("model: /models/resnet.pt (fnv1a64:00000000000000aa) in the profile") == 0);

  // The same model file, named again: applied.
  use = {};
  ctx.model_hash = "fnv1a64:00000000000000aa";
  CHECK(apply_profile(profile(4, 8), here(8), ctx, use, warnings));

  // Unknown CPU facts here: not used.
  use = {};
  auto unknown = here(1);
  unknown.capacity_known = false;
  CHECK_FALSE(apply_profile(profile(4, 8), unknown, context(), use, warnings));
}

TEST_CASE("profile: jemalloc is preloaded only where it is installed", "[recommend][profile]") {
  ProfileUse use;
  std::vector<Warning> warnings;
  auto e = apply_profile(profile(4, 8, Allocator::kJemalloc), here(8), context(), use, warnings);
  REQUIRE(e);
  REQUIRE(e->extra.size() == 2);
  CHECK(e->extra[0].name == "LD_PRELOAD");
  auto ctx = context();
  ctx.jemalloc_path.clear();
  use = {};
  e = apply_profile(profile(4, 8, Allocator::kJemalloc), here(8), ctx, use, warnings);
  REQUIRE(e);
  CHECK(e->extra.empty());
  CHECK(warnings.back().id == "profile-jemalloc-missing");
}

TEST_CASE("profile: a quota or cpuset change with the same capacity is noted, not scaled", "[recommend][profile]") {
  ProfileUse use;
  std::vector<Warning> warnings;
  auto h = here(8);
  h.quota_cpus = 8;
  h.affinity = "0-15";
  const auto e = apply_profile(profile(4, 8), h, context(), use, warnings);
  REQUIRE(e);
  CHECK(e->decision.threads == 4);
  CHECK(use.action == ProfileAction::kApplied);
  CHECK(use.differences == std::vector<std::string>{"CPU quota: none in the profile, 8 CPUs here",
                                                    "CPUs: 0-7 in the profile, 0-15 here"});
}
