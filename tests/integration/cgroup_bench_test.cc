// bench and recommend --measure inside a real 1-CPU cgroup v1 quota on this 2-CPU
// machine: the evidence (throttling, involuntary switches) and the measured answer
// must follow the quota. Skipped, with the reason, where quotas cannot be created.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "integration/quota_cgroup.h"

using nlohmann::json;
using namespace torchdiag::test;

namespace {

constexpr int kLongChildMs = 240000;

bool have_two_cpus_and_worker() {
  if (std::string(TORCHDIAG_WORKER_BINARY).empty()) {
    WARN("skipped: built without torchdiag-worker");
    return false;
  }
  if (affinity_count() < 2) {
    WARN("skipped: needs at least 2 CPUs to oversubscribe a 1-CPU quota");
    return false;
  }
  return true;
}

json run_json(const QuotaCgroup& cgroup, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {TORCHDIAG_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = run_in_cgroup(cgroup, argv, child_environment({}), kLongChildMs);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.error == "");
  REQUIRE(r.exit_code == 0);
  const auto j = json::parse(r.out, nullptr, false);
  REQUIRE(j.is_object());
  return j;
}

}  // namespace

TEST_CASE("in a 1-CPU quota, 2 threads are throttled and switch out more than 1", "[integration][bench]") {
  if (skip_without_cgroup_v1_cpu() || !have_two_cpus_and_worker()) return;
  const QuotaCgroup cgroup(100000, 100000);
  REQUIRE(cgroup.error() == "");
  const auto j = run_json(cgroup, {"bench", "--workload", "index_select", "--threads", "1,2", "--min-time", "1.0",
                                   "--repetitions", "2", "--warmup", "1", "--format", "json"});
  const auto& rows = j.at("results");
  REQUIRE(rows.size() == 2);
  const auto& one = rows[0];
  const auto& two = rows[1];
  INFO(one.dump(1) << "\n" << two.dump(1));
  REQUIRE(one.at("status") == "ok");
  REQUIRE(two.at("status") == "ok");
  CHECK(j.at("context").at("cpu").at("quota_cpus").get<double>() == Approx(1.0));
  REQUIRE(two.at("throttled_fraction").is_number());
  CHECK(two.at("throttled_fraction").get<double>() > 0.05);
  CHECK(two.at("throttled_fraction").get<double>() > one.at("throttled_fraction").get<double>());
  CHECK(two.at("throttled_s_per_op").get<double>() > 0);
  CHECK(two.at("involuntary_switches_per_op").get<double>() > one.at("involuntary_switches_per_op").get<double>());
}

TEST_CASE("recommend --measure answers 1 in a 1-CPU quota and uses both CPUs outside it", "[integration][recommend]") {
  if (skip_without_cgroup_v1_cpu() || !have_two_cpus_and_worker()) return;
  const std::vector<std::string> args = {"recommend", "--measure", "--workload", "index_select", "--objective",
                                         "throughput", "--budget", "12", "--format", "json"};
  {
    const QuotaCgroup cgroup(100000, 100000);
    REQUIRE(cgroup.error() == "");
    const auto inside = run_json(cgroup, args);
    INFO(inside.dump(1));
    CHECK(inside.at("mode") == "measure");
    CHECK(inside.at("omp_num_threads") == 1);
    CHECK(inside.at("facts").at("workers") == 1);  // 1 usable thread: nothing else to search
    CHECK(inside.at("candidates").size() == 2);    // 1 and 2 threads were measured
  }
  const QuotaCgroup unlimited(-1, 100000);
  REQUIRE(unlimited.error() == "");
  const auto outside = run_json(unlimited, args);
  INFO(outside.dump(1));
  CHECK(outside.at("mode") == "measure");
  // Both CPUs busy: 2 threads, or 1 thread in each of 2 workers or streams.
  const auto& f = outside.at("facts");
  CHECK(outside.at("omp_num_threads").get<int>() * f.at("workers").get<int>() * f.at("streams").get<int>() >= 2);
}
