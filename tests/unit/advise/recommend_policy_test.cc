#include <catch2/catch.hpp>

#include <climits>
#include <string>

#include "advise/recommend_policy.h"

using namespace torchdiag;

namespace {

RecommendFacts facts(int usable, int workers = 1, int streams = 1) {
  RecommendFacts f;
  f.usable_threads = usable;
  f.allowed_cpus = usable;
  f.limited_by = LimitedBy::kAffinity;
  f.affinity = "0-" + std::to_string(usable - 1);
  f.affinity_cpus = usable;
  f.online_cpus = usable;
  f.workers = workers;
  f.streams = streams;
  return f;
}

RecommendInputs inputs(const RecommendFacts& f, std::map<std::string, std::string> env = {},
                       bool override_env = false) {
  RecommendInputs in;
  in.facts = f;
  in.env = std::move(env);
  in.override_env = override_env;
  return in;
}

const EnvSetting& setting(const Recommendation& r, const std::string& name) {
  for (const auto& s : r.env) {
    if (s.name == name) return s;
  }
  FAIL("no setting " << name);
  return r.env.front();
}

/// The warning with `id`, whose message also contains `text`.
bool has_warning(const std::vector<Warning>& warnings, const std::string& id, const std::string& text) {
  for (const auto& w : warnings) {
    if (w.id == id && w.message.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("intra_op_share divides usable threads by workers x streams", "[recommend][advise]") {
  struct Row {
    int usable, workers, streams, expected;
  };
  const Row rows[] = {
      {8, 1, 1, 8},
      {8, 2, 1, 4},
      {8, 2, 2, 2},
      {7, 2, 1, 3},  // remainder left idle
      {2, 4, 1, 1},  // oversubscribed: minimum 1
      {1, 1, 1, 1},
      {0, 1, 1, 1},
      {8, 0, -3, 8},                   // non-positive counts as 1
      {INT_MAX, INT_MAX, INT_MAX, 1},  // no overflow
  };
  for (const auto& r : rows) {
    INFO(r.usable << " / (" << r.workers << " x " << r.streams << ")");
    CHECK(intra_op_share(r.usable, r.workers, r.streams) == r.expected);
  }
}

TEST_CASE("recommend sets OMP and MKL to the same computed share, with the evidence",
          "[recommend][advise]") {
  auto f = facts(8, 2, 2);
  f.quota_cpus = 8.5;
  f.quota_source = "/sys/fs/cgroup/cpu.max";
  const auto r = recommend(inputs(f));
  CHECK(r.mode == RecommendMode::kQuick);
  CHECK(r.omp_num_threads == 2);
  REQUIRE(r.env.size() == 2);
  CHECK(r.env[0].name == "OMP_NUM_THREADS");
  CHECK(r.env[1].name == "MKL_NUM_THREADS");
  for (const auto& s : r.env) {
    CHECK(s.value == "2");
    CHECK(s.source == SettingSource::kComputed);
    CHECK_THAT(s.reason, Catch::Contains("8 usable threads") && Catch::Contains("2 workers") &&
                             Catch::Contains("2 streams") &&
                             Catch::Contains("limited by affinity") &&
                             Catch::Contains("quota 8.50 CPUs (/sys/fs/cgroup/cpu.max)") &&
                             Catch::Contains("affinity 0-7"));
  }
  CHECK(r.problems.empty());
  CHECK(r.warnings.empty());
}

TEST_CASE("more workers x streams than usable threads: 1 each, and a warning",
          "[recommend][advise]") {
  const auto r = recommend(inputs(facts(2, 4, 1)));
  CHECK(r.omp_num_threads == 1);
  CHECK_THAT(setting(r, "OMP_NUM_THREADS").reason, Catch::Contains("oversubscribed"));
  CHECK(has_warning(r.warnings, "oversubscription", "4 workers x 1 stream = 4 exceed the 2 usable threads"));
}

TEST_CASE("a remainder of the equal split is reported", "[recommend][advise]") {
  const auto r = recommend(inputs(facts(7, 2, 1)));
  CHECK(r.omp_num_threads == 3);
  CHECK_THAT(setting(r, "OMP_NUM_THREADS").reason, Catch::Contains("1 thread left idle"));
}

TEST_CASE("variables already set are kept, and the partner follows", "[recommend][advise]") {
  const auto r = recommend(inputs(facts(4), {{"OMP_NUM_THREADS", "3"}}));
  const auto& omp = setting(r, "OMP_NUM_THREADS");
  const auto& mkl = setting(r, "MKL_NUM_THREADS");
  CHECK(omp.value == "3");
  CHECK(omp.source == SettingSource::kEnvironment);
  CHECK_THAT(omp.reason, Catch::Contains("kept from the environment") && Catch::Contains("set 4"));
  CHECK(mkl.value == "3");
  CHECK(mkl.source == SettingSource::kFollows);
  CHECK(r.omp_num_threads == 3);
  CHECK(r.warnings.empty());
  CHECK(r.problems.empty());
}

TEST_CASE("a kept value above the usable threads is warned about", "[recommend][advise]") {
  SECTION("alone") {
    const auto r = recommend(inputs(facts(2), {{"OMP_NUM_THREADS", "8"}}));
    CHECK(r.omp_num_threads == 8);
    CHECK(has_warning(r.warnings, "env-kept-too-high", "OMP_NUM_THREADS=8 kept from the environment exceeds the 2"));
  }
  SECTION("times the workers") {
    const auto r = recommend(inputs(facts(4, 2), {{"MKL_NUM_THREADS", "4"}}));
    CHECK(setting(r, "MKL_NUM_THREADS").value == "4");
    CHECK(setting(r, "OMP_NUM_THREADS").value == "4");
    CHECK(has_warning(r.warnings, "env-kept-too-high", "x 2 workers x 1 stream = 8 threads exceed the 4"));
  }
  SECTION("not when the capacity is unknown") {
    const auto r = recommend(fallback_inputs({"no facts"}, {{"OMP_NUM_THREADS", "8"}}, {}));
    CHECK(r.omp_num_threads == 8);
    CHECK(r.warnings.empty());
  }
}

TEST_CASE("recommend --override replaces variables already set", "[recommend][advise]") {
  const auto r =
      recommend(inputs(facts(4), {{"OMP_NUM_THREADS", "3"}, {"MKL_NUM_THREADS", "16"}}, true));
  CHECK(r.omp_num_threads == 4);
  CHECK(setting(r, "OMP_NUM_THREADS").source == SettingSource::kComputed);
  CHECK_THAT(setting(r, "OMP_NUM_THREADS").reason, Catch::Contains("replaces '3'"));
  CHECK_THAT(setting(r, "MKL_NUM_THREADS").reason, Catch::Contains("replaces '16'"));
  CHECK(r.warnings.empty());
}

TEST_CASE("unusable values in the environment are replaced and reported", "[recommend][advise]") {
  for (const std::string bad : {"abc", "0", "-2", "", "4,2", "1.5", "99999999999"}) {
    INFO("OMP_NUM_THREADS='" << bad << "'");
    const auto r = recommend(inputs(facts(4), {{"OMP_NUM_THREADS", bad}}));
    CHECK(r.omp_num_threads == 4);
    CHECK(setting(r, "OMP_NUM_THREADS").source == SettingSource::kComputed);
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].bad_input);
    CHECK_THAT(r.problems[0].message, Catch::Contains("not a positive integer; replaced by 4"));
  }
  SECTION("whitespace around a number is fine") {
    const auto r = recommend(inputs(facts(4), {{"OMP_NUM_THREADS", " 2 "}}));
    CHECK(setting(r, "OMP_NUM_THREADS").value == "2");
    CHECK(r.problems.empty());
  }
  SECTION("an invalid variable follows a valid partner") {
    const auto r =
        recommend(inputs(facts(4), {{"OMP_NUM_THREADS", "x"}, {"MKL_NUM_THREADS", "2"}}));
    CHECK(setting(r, "OMP_NUM_THREADS").value == "2");
    CHECK(setting(r, "OMP_NUM_THREADS").source == SettingSource::kFollows);
    CHECK(r.problems.size() == 1);
  }
}

TEST_CASE("kept values that disagree are warned about", "[recommend][advise]") {
  const auto r = recommend(inputs(facts(4), {{"OMP_NUM_THREADS", "2"}, {"MKL_NUM_THREADS", "1"}}));
  CHECK(setting(r, "OMP_NUM_THREADS").value == "2");
  CHECK(setting(r, "MKL_NUM_THREADS").value == "1");
  CHECK(has_warning(r.warnings, "mkl-omp-disagree", "disagree"));
}

TEST_CASE("the fallback is 1 thread, keeps user values and records why", "[recommend][advise]") {
  RecommendRequest request;
  request.workers = 4;
  const auto r = recommend(fallback_inputs({"--root 'x': no such directory", true}, {}, request));
  CHECK(r.omp_num_threads == 1);
  CHECK_FALSE(r.facts.capacity_known);
  CHECK(r.facts.workers == 4);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].bad_input);
  CHECK(r.warnings.empty());  // no oversubscription claim without facts
  CHECK_THAT(setting(r, "OMP_NUM_THREADS").reason, Catch::Contains("safe minimum"));
}

TEST_CASE("candidates: the chosen share and the rejected larger counts", "[recommend][advise]") {
  auto f = facts(1);
  f.limited_by = LimitedBy::kQuota;
  f.quota_cpus = 1.5;
  f.allowed_cpus = 2;
  f.affinity = "0-3";
  f.affinity_cpus = 4;
  f.online_cpus = 64;
  const auto choice = choose_threads(f);
  CHECK(choice.threads == 1);
  int chosen = 0;
  for (const auto& c : choice.candidates) chosen += c.chosen;
  CHECK(chosen == 1);
  REQUIRE(choice.candidates.size() == 4);
  CHECK(choice.candidates[1].threads == 2);
  CHECK_THAT(choice.candidates[1].verdict, Catch::Contains("quota"));
  CHECK(choice.candidates[2].threads == 4);
  CHECK(choice.candidates[3].threads == 64);
}

TEST_CASE("inputs_from_report carries facts, problems and warnings", "[recommend][advise]") {
  InspectReport report;
  report.cpu.affinity = Fact<CpuSet>::known({0, 1, 2, 3}, "/proc/self/status");
  report.cpu.online = Fact<CpuSet>::known({0, 1, 2, 3, 4, 5, 6, 7});
  report.cgroup.quota_cpus = 1.5;
  report.cgroup.quota_source = "/sys/fs/cgroup/cpu.max";
  report.cgroup.warnings = {"/sys/fs/cgroup/x/cpu.max: garbage; treated as no known limit"};
  report.capacity = Capacity{2, 1, LimitedBy::kQuota};
  report.env.vars = {{"OMP_NUM_THREADS", "2"}};
  RecommendRequest request;
  request.streams = 2;
  request.override_env = true;
  const auto in = inputs_from_report(report, request);
  CHECK(in.facts.capacity_known);
  CHECK(in.facts.usable_threads == 1);
  CHECK(in.facts.allowed_cpus == 2);
  CHECK(in.facts.limited_by == LimitedBy::kQuota);
  CHECK(in.facts.quota_cpus == Approx(1.5));
  CHECK(in.facts.affinity == std::optional<std::string>("0-3"));
  CHECK(in.facts.affinity_cpus == 4);
  CHECK(in.facts.online_cpus == std::optional<int>(8));
  CHECK(in.facts.streams == 2);
  CHECK(in.override_env);
  CHECK(in.env.at("OMP_NUM_THREADS") == "2");
  REQUIRE(in.problems.size() == 1);
  CHECK_FALSE(in.problems[0].bad_input);

  SECTION("an unreadable environment is a warning") {
    report.env = EnvFacts{{}, {}, "/proc/self/environ", "Permission denied"};
    CHECK(has_warning(inputs_from_report(report, request).warnings, "environment-unreadable", "Permission denied"));
  }
  SECTION("no CPU count at all is a problem and 1 thread") {
    report.cpu = CpuFacts{};
    report.cgroup.cpuset = Fact<CpuSet>::unavailable("no cpuset hierarchy found");
    const auto none = inputs_from_report(report, request);
    CHECK_FALSE(none.facts.capacity_known);
    CHECK(none.facts.usable_threads == 1);
    CHECK(recommend(none).omp_num_threads == 1);
    CHECK(none.problems.size() == 2);
  }
}
