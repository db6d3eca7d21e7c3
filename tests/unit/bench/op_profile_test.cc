// The operator table and per-operator scaling from recorded ranges, on hand-built
// samples whose answers are known.
#include "bench/op_profile.h"

#include <catch2/catch.hpp>

using namespace torchdiag;

namespace {

/// Two calls of 100 us: "forward" (a TorchScript scope) holds aten::linear (60 us, of
/// which aten::addmm 50 us) and aten::relu (10 us); 30 us of each call is outside any
/// operator.
ProfileSample two_calls() {
  ProfileSample s;
  s.calls = 2;
  for (int c = 0; c < 2; ++c) {
    const double t = 200.0 * c;
    s.events.push_back({kCallRangeName, 0, t, 100, 0, ""});
    s.events.push_back({"forward", 0, t + 5, 90, 1, ""});
    s.events.push_back({"aten::linear", 0, t + 10, 60, 2, "[[8, 16], [4, 16], [4]]"});
    s.events.push_back({"aten::addmm", 0, t + 15, 50, 3, "[[4], [8, 16], [16, 4]]"});
    s.events.push_back({"aten::relu", 0, t + 75, 10, 2, "[[8, 4]]"});
  }
  return s;
}

const OpStat* find(const OpProfile& p, const std::string& name) {
  for (const auto& op : p.ops) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

BenchRow profiled_row(std::optional<int> threads, int actual, const std::vector<std::pair<std::string, double>>& ops) {
  BenchRow r;
  r.spec.workload = Workload::kForward;
  r.spec.threads = threads;
  r.intra_op_threads = actual;
  OpProfile p;
  for (const auto& [name, self] : ops) p.ops.push_back({name, "", 1, self, 0, 0});
  r.profile = p;
  return r;
}

}  // namespace

TEST_CASE("summarize_profile: self time, shares, calls per forward and framework overhead", "[profile]") {
  const auto p = summarize_profile(two_calls(), false);
  REQUIRE(p.error.empty());
  CHECK(p.calls == 2);
  CHECK(p.wall_s_per_call == Approx(100e-6));
  // Top-level operators: linear (60) and relu (10) of 100 us; addmm is inside linear.
  CHECK(p.framework_overhead_fraction == Approx(0.30));
  REQUIRE(p.ops.size() == 3);  // "forward" has no namespace: a scope, not an operator
  CHECK(p.ops[0].name == "aten::addmm");  // most self time first
  const auto* linear = find(p, "aten::linear");
  REQUIRE(linear);
  CHECK(linear->self_s_per_call == Approx(10e-6));  // 60 minus addmm's 50
  CHECK(linear->calls_per_forward == Approx(1));
  CHECK(linear->share == Approx(0.10));
  CHECK(linear->shapes.empty());
  double shares = 0;
  for (const auto& op : p.ops) shares += op.share;
  CHECK(shares <= 1.0);
}

TEST_CASE("summarize_profile: rows split by shapes, and what has no call", "[profile]") {
  auto s = two_calls();
  s.events[2].shapes = "[[1, 16], [4, 16], [4]]";  // the first call's linear had another batch
  const auto by_shape = summarize_profile(s, true);
  int linear_rows = 0;
  for (const auto& op : by_shape.ops) linear_rows += op.name == "aten::linear" ? 1 : 0;
  CHECK(linear_rows == 2);
  CHECK(summarize_profile(s, false).ops.size() == 3);
  ProfileSample empty;
  CHECK(summarize_profile(empty, false).error == "no profiled call was recorded");
  ProfileSample failed;
  failed.error = "profiling failed: boom";
  CHECK(summarize_profile(failed, false).error == "profiling failed: boom");
}

TEST_CASE("summarize_profile: operators on another thread count, but not as top-level time", "[profile]") {
  auto s = two_calls();
  s.events.push_back({"aten::mul", 1, 20, 40, 0, ""});  // an inter-op thread
  const auto p = summarize_profile(s, false);
  const auto* mul = find(p, "aten::mul");
  REQUIRE(mul);
  CHECK(mul->thread == 1);
  CHECK(mul->calls_per_forward == Approx(0.5));
  CHECK(p.framework_overhead_fraction == Approx(0.30));
}

TEST_CASE("op_scaling: speed-ups from the fewest threads, slower and never-parallel operators", "[profile]") {
  const std::vector<BenchRow> rows = {
      profiled_row(1, 1, {{"aten::conv2d", 4e-3}, {"aten::index_select", 1e-3}, {"aten::gru", 2e-3}}),
      profiled_row(2, 2, {{"aten::conv2d", 2.1e-3}, {"aten::index_select", 1.6e-3}, {"aten::gru", 2.02e-3}}),
      profiled_row(std::nullopt, 4, {{"aten::conv2d", 1.2e-3}, {"aten::index_select", 1.9e-3}, {"aten::gru", 1.98e-3}}),
  };
  const auto s = op_scaling(rows);
  REQUIRE(s.size() == 3);
  CHECK(s[0].name == "aten::conv2d");
  CHECK(s[0].speedup.size() == 3);
  CHECK(s[0].speedup[2].first == 4);  // "current" counted at the threads LibTorch used
  CHECK(s[0].speedup[2].second == Approx(4e-3 / 1.2e-3));
  CHECK(s[0].reading == "aten::conv2d: 1.9x at 2 threads, 3.3x at 4 threads");
  const auto& gru = s[2];
  CHECK(gru.never_parallel);
  CHECK(gru.reading == "aten::gru: 1.0x at every count, does not parallelise");
  const auto& index_select = s[1];
  CHECK(index_select.slower_with_threads);
  CHECK(index_select.reading == "aten::index_select: 0.5x at 4 threads, slower with more threads");
}

TEST_CASE("op_scaling: one thread count, failed profiles and other groups give nothing", "[profile]") {
  std::vector<BenchRow> rows = {profiled_row(1, 1, {{"aten::mm", 1e-3}})};
  CHECK(op_scaling(rows).empty());
  rows.push_back(profiled_row(2, 2, {{"aten::mm", 0.5e-3}}));
  rows.back().spec.streams = 2;  // another group
  CHECK(op_scaling(rows).empty());
  rows.back().spec.streams = 1;
  rows.back().profile->error = "profiling failed";
  CHECK(op_scaling(rows).empty());
  rows.back().profile->error.clear();
  CHECK(op_scaling(rows).size() == 1);
}

TEST_CASE("config_file_stem names a configuration for file names", "[profile]") {
  BenchSpec spec;
  spec.workload = Workload::kForward;
  spec.threads = 4;
  spec.streams = 2;
  spec.allocator = Allocator::kJemalloc;
  CHECK(config_file_stem(spec) == "forward-t4-idefault-s2-jemalloc");
  spec.threads.reset();
  spec.interop_threads = 1;
  CHECK(config_file_stem(spec) == "forward-tcurrent-i1-s2-jemalloc");
}
