// The guided search against fake measurements: what it tries, where it stops, what it
// chooses, and that a constraint is never broken.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <map>

#include "advise/measure_policy.h"
#include "advise/search_policy.h"

using namespace torchdiag;

namespace {

SearchSpace threads_only(std::vector<int> threads) {
  SearchSpace s;
  s.threads = std::move(threads);
  s.interop = {1};
  s.streams = {1};
  s.workers = {1};
  s.allocators = {Allocator::kGlibc};
  return s;
}

PointResult result(double items_per_s, double p99_s = 0.010, double noise = 0.0) {
  PointResult r;
  r.ok = true;
  r.throughput_per_s = items_per_s;
  r.p50_s = 1 / items_per_s;
  r.p99_s = p99_s;
  r.noise = noise;
  return r;
}

/// A runner that counts its calls.
struct Fake {
  std::function<PointResult(const SearchPoint&)> f;
  int calls = 0;
  PointResult operator()(const SearchPoint& p) {
    ++calls;
    return f(p);
  }
};

SearchPoint at(int threads, int workers = 1, int streams = 1, int interop = 1) {
  return {threads, interop, streams, workers, Allocator::kGlibc};
}

}  // namespace

TEST_CASE("search: climbs to the top of a cliff and stops there", "[recommend][search]") {
  // Throughput grows to 4 threads, then collapses (threads beyond a quota stall).
  const std::map<int, double> tput = {{1, 100}, {2, 190}, {4, 350}, {8, 60}, {16, 30}};
  Fake fake{[&](const SearchPoint& p) { return result(tput.at(p.threads)); }};
  const auto out = run_search(threads_only({1, 2, 4, 8, 16}), at(1), std::ref(fake), {});
  REQUIRE(out.chosen);
  CHECK(out.steps[*out.chosen].point.threads == 4);
  CHECK(fake.calls == 4);  // 1, 2, 4, 8: 16 is never tried
  CHECK(out.steps[0].verdict == "start: the quick answer");
  CHECK(out.steps[1].verdict.rfind("moved: +90.0% throughput", 0) == 0);
  CHECK(out.steps[3].verdict.find("worse") != std::string::npos);
  CHECK(out.stop_reason.rfind("converged", 0) == 0);
}

TEST_CASE("search: a noisy plateau ends at once with the fewest threads", "[recommend][search]") {
  // Every configuration is the same within +-2%: nothing is worth a move.
  Fake fake{[](const SearchPoint& p) { return result(1000 * (1 + 0.02 * std::sin(p.threads * 7.0 + p.workers)), 0.01, 0.02); }};
  SearchSpace space = threads_only({1, 2, 4, 8});
  space.workers = {1, 2};
  const auto out = run_search(space, at(4), std::ref(fake), {});
  CHECK(fake.calls == 4);  // the start and its three neighbours (threads 2 and 8, workers 2)
  REQUIRE(out.chosen);
  CHECK(out.steps[*out.chosen].point.threads == 2);  // within the tolerance, fewer threads
  for (size_t i = 1; i < out.steps.size(); ++i) CHECK(out.steps[i].verdict.rfind("not moved", 0) == 0);
}

TEST_CASE("search: a gain within the measured noise is not a move", "[recommend][search]") {
  Fake fake{[](const SearchPoint& p) { return result(p.threads == 2 ? 108 : 100, 0.01, 0.10); }};
  const auto out = run_search(threads_only({1, 2}), at(1), std::ref(fake), {});
  REQUIRE(out.steps.size() == 2);
  CHECK(out.steps[1].verdict.find("within the noise (10.0%)") != std::string::npos);
}

TEST_CASE("search: a step gaining under the minimum ends the search early", "[recommend][search]") {
  // 1 -> 2 gains 4% (above the 3% tolerance, under 5%): moved, then stopped.
  Fake fake{[](const SearchPoint& p) { return result(100 * std::pow(1.04, p.threads)); }};
  const auto out = run_search(threads_only({1, 2, 4, 8}), at(1), std::ref(fake), {});
  CHECK(fake.calls == 2);
  CHECK(out.stop_reason.rfind("stopped early: the last step gained 4.0%", 0) == 0);
  REQUIRE(out.chosen);
}

TEST_CASE("search: a constraint excludes the best configuration", "[recommend][search]") {
  // More threads: more items/s but a worse p99; --max-p99 12 ms excludes 4 and 8.
  const std::map<int, std::pair<double, double>> m = {{1, {100, 0.008}}, {2, {180, 0.011}}, {4, {300, 0.015}}, {8, {320, 0.030}}};
  Fake fake{[&](const SearchPoint& p) { return result(m.at(p.threads).first, m.at(p.threads).second); }};
  SearchSettings s;
  s.constraints.max_p99_s = 0.012;
  const auto out = run_search(threads_only({1, 2, 4, 8}), at(1), std::ref(fake), s);
  REQUIRE(out.chosen);
  CHECK(out.steps[*out.chosen].point.threads == 2);
  bool saw_violation = false;
  for (const auto& step : out.steps) {
    if (step.point.threads == 4) {
      CHECK_FALSE(step.feasible);
      CHECK(step.verdict == "violates --max-p99: p99 15.00 ms > 12.00 ms");
      saw_violation = true;
    }
  }
  CHECK(saw_violation);
  // The same space exhaustively: still never a violating choice.
  s.exhaustive = true;
  Fake all{fake.f};
  const auto every = run_search(threads_only({1, 2, 4, 8}), at(1), std::ref(all), s);
  CHECK(all.calls == 4);
  CHECK(every.steps[*every.chosen].point.threads == 2);
}

TEST_CASE("search: when nothing keeps the constraints the quick answer stands", "[recommend][search]") {
  Fake fake{[](const SearchPoint& p) { return result(100.0 * p.threads, 0.050); }};
  SearchSettings s;
  s.constraints.max_p99_s = 0.010;
  s.constraints.min_throughput = 1e6;
  const auto out = run_search(threads_only({1, 2}), at(2), std::ref(fake), s);
  CHECK_FALSE(out.chosen);
  ThreadDecision quick;
  quick.threads = 2;
  quick.reason = "2 = max(1, 2 usable threads / (1 worker x 1 stream))";
  const auto d = decision_from_search(out, quick);
  CHECK(d.threads == 2);
  CHECK(d.reason.find("none of the 2 measured configuration(s) kept the constraints") != std::string::npos);
  CHECK(d.candidates.size() == 2);
  for (const auto& c : d.candidates) CHECK_FALSE(c.chosen);
}

TEST_CASE("search: infeasible start moves toward the constraints", "[recommend][search]") {
  // The start breaks --max-rss; fewer workers use less memory.
  Fake fake{[](const SearchPoint& p) {
    auto r = result(100.0 * p.workers);
    r.peak_rss_bytes = int64_t{1000} * p.workers;
    return r;
  }};
  SearchSpace space = threads_only({1});
  space.workers = {1, 2, 4};
  SearchSettings s;
  s.constraints.max_rss_bytes = 2500;
  const auto out = run_search(space, at(1, 4), std::ref(fake), s);
  REQUIRE(out.chosen);
  CHECK(out.steps[*out.chosen].point.workers == 2);
  CHECK(out.steps[1].verdict.rfind("moved: keeps the constraints", 0) == 0);
}

TEST_CASE("search: failed configurations are never chosen; the budget ends it", "[recommend][search]") {
  Fake fake{[](const SearchPoint& p) {
    if (p.threads == 4) {
      PointResult r;
      r.error = "killed by signal 11";
      return r;
    }
    return result(100.0 * p.threads);
  }};
  const auto out = run_search(threads_only({1, 2, 4}), at(2), std::ref(fake), {});
  REQUIRE(out.chosen);
  CHECK(out.steps[*out.chosen].point.threads == 2);
  CHECK(out.steps[1].verdict == "failed: killed by signal 11");

  int budget = 2;
  Fake many{[](const SearchPoint& p) { return result(100.0 * p.threads); }};
  SearchSettings s;
  s.out_of_time = [&] { return budget-- <= 0; };
  const auto cut = run_search(threads_only({1, 2, 4, 8}), at(1), std::ref(many), s);
  CHECK(many.calls == 2);
  CHECK(cut.stop_reason.rfind("budget", 0) == 0);
  REQUIRE(cut.chosen);
  CHECK(cut.steps[*cut.chosen].point.threads == 2);
}

TEST_CASE("search: the objective decides between throughput and tail latency", "[recommend][search]") {
  // 2 workers: more items/s, worse p99.
  Fake fake{[](const SearchPoint& p) { return result(p.workers == 2 ? 200 : 120, p.workers == 2 ? 0.020 : 0.009); }};
  SearchSpace space = threads_only({1});
  space.workers = {1, 2};
  SearchSettings s;
  CHECK(run_search(space, at(1), std::ref(fake), s).steps.back().point.workers == 2);
  s.objective = Objective::kThroughput;
  const auto t = run_search(space, at(1), std::ref(fake), s);
  CHECK(t.steps[*t.chosen].point.workers == 2);
  s.objective = Objective::kP99;
  const auto p = run_search(space, at(1), std::ref(fake), s);
  CHECK(p.steps[*p.chosen].point.workers == 1);
}

TEST_CASE("search space: fixed axes stay fixed, threads reach the whole mask", "[recommend][search]") {
  RecommendFacts f;
  f.usable_threads = 4;
  f.affinity_cpus = 8;
  SearchAxes axes;
  auto s = search_space(f, axes);
  CHECK(s.threads == std::vector<int>{1, 2, 4, 8});
  CHECK(s.workers == std::vector<int>{1, 2, 4});
  CHECK(s.streams == std::vector<int>{1, 2, 4});
  CHECK(s.interop == std::vector<int>{1, 2});
  CHECK(start_point(f, s) == at(4));
  // No more workers x streams than usable threads, no more threads than CPUs in the mask.
  CHECK(s.contains(at(8)));
  CHECK(s.contains(at(2, 2, 2)));
  CHECK_FALSE(s.contains(at(1, 4, 2)));
  CHECK_FALSE(s.contains(at(4, 2, 2)));
  CHECK(s.size() == 2 * (4 + 3 + 2 + 3 + 2 + 2));  // threads fitting each workers x streams, x 2 inter-op
  axes.streams = 2;
  axes.workers = 1;
  s = search_space(f, axes);
  CHECK(s.streams == std::vector<int>{2});
  CHECK(s.threads == std::vector<int>{1, 2, 4});  // up to 8 CPUs / 2 streams
  CHECK(start_point(f, s) == at(2, 1, 2));
  f.usable_threads = 1;
  f.affinity_cpus = 1;
  s = search_space(f, {});
  CHECK(s.size() == 1);
}

TEST_CASE("objective cost penalises CFS throttling", "[recommend][search]") {
  auto free_run = result(100);
  auto throttled = result(110);
  throttled.throttled_fraction = 0.5;
  CHECK(objective_cost(throttled, Objective::kThroughput) > objective_cost(free_run, Objective::kThroughput));
  CHECK(objective_cost(PointResult{}, Objective::kLatency) == std::numeric_limits<double>::infinity());
  Constraints c;
  CHECK(constraint_violation(free_run, c).empty());
  c.min_throughput = 150;
  CHECK(constraint_violation(free_run, c) == "--min-throughput: 100.0 items/s < 150");
}

TEST_CASE("search: latency verdicts say how the latency changed", "[recommend][search]") {
  // p99: 78.25 ms at 1 thread, 4.95 ms at 2, 12.96 ms at 4.
  const std::map<int, double> p99 = {{1, 0.07825}, {2, 0.00495}, {4, 0.01296}};
  Fake fake{[&](const SearchPoint& p) { return result(100, p99.at(p.threads)); }};
  SearchSettings s;
  s.objective = Objective::kP99;
  const auto out = run_search(threads_only({1, 2, 4}), at(1), std::ref(fake), s);
  REQUIRE(out.steps.size() == 3);
  CHECK(out.steps[1].verdict == "moved: p99 -93.7% (noise 3.0%)");
  CHECK(out.steps[2].verdict == "not moved: p99 +161.8% (worse)");
}
