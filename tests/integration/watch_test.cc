// `torchdiag watch` against real running processes: busy OpenMP programs in real cgroup
// v1 CPU quotas, and the LibTorch worker of a running bench.
//
// The quota cases need root and a writable cgroup v1 `cpu` hierarchy at
// /sys/fs/cgroup/cpu (the CI machine has one); elsewhere they print why with WARN and
// return. The thresholds leave wide margins: 8 busy threads in a 1-CPU quota give a
// ratio of about 5-8 and most of the runnable time waiting, even on a noisy 2-CPU VM.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/run_binary.h"
#include "integration/quota_cgroup.h"

using nlohmann::json;
using namespace torchdiag::test;

namespace {

constexpr long kOneCpuUs = 100000;  ///< quota of one CPU with the period kPeriodUs

bool skip_without_busy_threads() {
  if (!std::string(TORCHDIAG_BUSY_THREADS).empty()) return false;
  WARN("skipped: built without OpenMP, so there is no torchdiag_busy_threads to watch");
  return true;
}

/// torchdiag_busy_threads with an OpenMP team of `threads` in `cgroup`, once the team
/// exists; it would run for a minute but is killed when the returned object goes.
std::unique_ptr<BackgroundChild> start_busy(const TestCgroup& cgroup, int threads) {
  auto child = std::make_unique<BackgroundChild>(std::vector<std::string>{TORCHDIAG_BUSY_THREADS, "60"},
                                                 child_environment({{"OMP_NUM_THREADS", std::to_string(threads)}}),
                                                 &cgroup);
  INFO("cgroup " << cgroup.dir());
  REQUIRE(child->error() == "");
  REQUIRE(wait_for_threads(child->pid(), threads, 20));
  return child;
}

/// `torchdiag watch ARGS --interval 0.5 --format json`, which must exit 0; parsed.
json watch_json(std::vector<std::string> args) {
  args.insert(args.begin(), "watch");
  for (const char* a : {"--interval", "0.5", "--format", "json"}) args.push_back(a);
  const auto r = run_torchdiag(args, {}, 60);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.signal == 0);
  REQUIRE(r.exit_code == 0);
  const auto j = json::parse(r.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j.at("schema") == "torchdiag.watch/1");
  return j;
}

/// The report's entry for `pid`, or null.
json process_of(const json& report, pid_t pid) {
  for (const auto& p : report.at("processes")) {
    if (p.at("pid") == pid) return p;
  }
  return nullptr;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The report's cgroups[] entry of the test cgroup `cgroup`, or null.
json cgroup_of(const json& report, const TestCgroup& cgroup) {
  for (const auto& c : report.at("cgroups")) {
    if (ends_with(c.at("path").get<std::string>(), "/" + cgroup.name())) return c;
  }
  return nullptr;
}

std::set<int> pids_of(const json& cgroup) {
  std::set<int> out;
  for (const auto& p : cgroup.at("pids")) out.insert(p.get<int>());
  return out;
}

bool has_pool(const json& process, const std::string& kind, const std::string& library) {
  for (const auto& pool : process.at("pools")) {
    if (pool.at("kind") == kind && pool.at("library") == library) return true;
  }
  return false;
}

bool maps_library(const json& process, const std::string& library) {
  for (const auto& lib : process.at("threadpool_libraries")) {
    if (lib.at("library") == library) return true;
  }
  return false;
}

/// The findings with this id.
std::vector<json> findings_with(const json& report, const std::string& id) {
  std::vector<json> out;
  for (const auto& f : report.at("findings")) {
    if (f.at("id") == id) out.push_back(f);
  }
  return out;
}

bool contains(const json& text, const std::string& part) {
  return text.is_string() && text.get<std::string>().find(part) != std::string::npos;
}

/// True once /proc/PID/maps names a file containing `part`, waiting up to `timeout_s`.
bool wait_until_mapped(pid_t pid, const std::string& part, double timeout_s) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
    std::string line;
    while (std::getline(maps, line)) {
      if (line.find(part) != std::string::npos) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

TEST_CASE("watch: 8 busy OpenMP threads in a 1-CPU quota are oversubscribed", "[integration][watch]") {
  if (skip_without_cgroup_v1_cpu() || skip_without_busy_threads()) return;
  const QuotaCgroup cgroup(kOneCpuUs, kPeriodUs);
  REQUIRE(cgroup.error() == "");
  const auto busy = start_busy(cgroup, 8);
  const auto report = watch_json({"--pid", std::to_string(busy->pid()), "--duration", "3"});
  const auto p = process_of(report, busy->pid());
  INFO(report.dump(1));
  REQUIRE(p.is_object());
  CHECK(p.at("exited") == false);
  CHECK(ends_with(p.at("cgroup").get<std::string>(), "/" + cgroup.name()));
  CHECK(p.at("verdict") == "oversubscribed");
  CHECK(p.at("oversubscription_ratio").get<double>() > 1.5);
  CHECK(p.at("runqueue_wait_fraction").get<double>() > 0.2);
  CHECK(p.at("usable_threads") == 1);
  CHECK(p.at("threads") == 8);
  CHECK(p.at("pool_threads") == 8);  // 7 libgomp workers and the main thread
  CHECK(has_pool(p, "openmp", "libgomp"));
  CHECK(p.at("timeline").size() >= 2);
  if (affinity_count() >= 2) {
    // 8 threads on 2 CPUs use up a 1-CPU quota in half of every period.
    REQUIRE(p.at("throttled_fraction").is_number());
    CHECK(p.at("throttled_fraction").get<double>() > 0.1);
  }
  const auto over = findings_with(report, "oversubscription");
  REQUIRE(over.size() == 1);
  CHECK(contains(over[0].at("message"), "PID " + std::to_string(busy->pid())));
  CHECK(contains(over[0].at("fix"), "OMP_NUM_THREADS=1"));
}

TEST_CASE("watch: 1 busy thread in a 1-CPU quota is not oversubscribed", "[integration][watch]") {
  if (skip_without_cgroup_v1_cpu() || skip_without_busy_threads()) return;
  const QuotaCgroup cgroup(kOneCpuUs, kPeriodUs);
  REQUIRE(cgroup.error() == "");
  const auto busy = start_busy(cgroup, 1);
  const auto report = watch_json({"--pid", std::to_string(busy->pid()), "--duration", "3"});
  const auto p = process_of(report, busy->pid());
  INFO(report.dump(1));
  REQUIRE(p.is_object());
  CHECK(p.at("verdict") != "oversubscribed");
  CHECK(p.at("oversubscription_ratio").get<double>() < 1.15);
  CHECK(p.at("usable_threads") == 1);
  CHECK(p.at("cpu_used_cpus").get<double>() > 0.3);  // it was busy, not idle
  CHECK(findings_with(report, "oversubscription").empty());
}

TEST_CASE("watch --all finds processes in two quota cgroups and keeps the cgroups apart",
          "[integration][watch]") {
  if (skip_without_cgroup_v1_cpu() || skip_without_busy_threads()) return;
  const QuotaCgroup eight_cgroup(kOneCpuUs, kPeriodUs);
  const QuotaCgroup one_cgroup(kOneCpuUs, kPeriodUs);
  REQUIRE(eight_cgroup.error() == "");
  REQUIRE(one_cgroup.error() == "");
  const auto eight = start_busy(eight_cgroup, 8);
  const auto one = start_busy(one_cgroup, 1);
  const auto report = watch_json({"--all", "--duration", "3"});
  INFO(report.dump(1));
  CHECK(report.at("processes_scanned").get<int>() >= 2);
  const auto p8 = process_of(report, eight->pid());
  const auto p1 = process_of(report, one->pid());
  REQUIRE(p8.is_object());
  REQUIRE(p1.is_object());
  CHECK(maps_library(p8, "libgomp"));
  CHECK(maps_library(p1, "libgomp"));
  CHECK(p8.at("verdict") == "oversubscribed");
  CHECK(p1.at("verdict") != "oversubscribed");
  const auto c8 = cgroup_of(report, eight_cgroup);
  const auto c1 = cgroup_of(report, one_cgroup);
  REQUIRE(c8.is_object());
  REQUIRE(c1.is_object());
  CHECK(pids_of(c8) == std::set<int>{eight->pid()});
  CHECK(pids_of(c1) == std::set<int>{one->pid()});
  CHECK(c8.at("usable_threads") == 1);
  CHECK(c8.at("pool_threads") == 8);
  CHECK(c8.at("verdict") == "oversubscribed");
  CHECK(c1.at("verdict") != "oversubscribed");
  // One process per cgroup: no cgroup-wide finding.
  for (const auto& f : findings_with(report, "cgroup-oversubscribed")) {
    CHECK_FALSE(contains(f.at("message"), eight_cgroup.name()));
    CHECK_FALSE(contains(f.at("message"), one_cgroup.name()));
  }
}

TEST_CASE("watch --all: two 4-thread processes oversubscribe their shared 1-CPU cgroup", "[integration][watch]") {
  if (skip_without_cgroup_v1_cpu() || skip_without_busy_threads()) return;
  const QuotaCgroup cgroup(kOneCpuUs, kPeriodUs);
  REQUIRE(cgroup.error() == "");
  const auto a = start_busy(cgroup, 4);
  const auto b = start_busy(cgroup, 4);
  const auto report = watch_json({"--all", "--duration", "3"});
  INFO(report.dump(1));
  const auto c = cgroup_of(report, cgroup);
  REQUIRE(c.is_object());
  CHECK(pids_of(c) == std::set<int>{a->pid(), b->pid()});
  CHECK(c.at("usable_threads") == 1);
  CHECK(c.at("pool_threads") == 8);
  CHECK(c.at("verdict") == "oversubscribed");
  CHECK(c.at("oversubscription_ratio").get<double>() > 1.5);
  int matching = 0;
  for (const auto& f : findings_with(report, "cgroup-oversubscribed")) {
    if (!contains(f.at("message"), cgroup.name())) continue;
    ++matching;
    CHECK(contains(f.at("message"), "2 processes"));
    CHECK(contains(f.at("fix"), "OMP_NUM_THREADS=1"));
  }
  CHECK(matching == 1);
}

TEST_CASE("watch: the LibTorch worker of a running bench", "[integration][watch]") {
  if (!have_worker()) {
    WARN("skipped: built without torchdiag-worker");
    return;
  }
  Background bench({"bench", "--workload", "forward", "--threads", "2", "--min-time", "6", "--repetitions", "1"});
  // /proc/PID/comm keeps 15 characters: "torchdiag-worker" reads "torchdiag-worke".
  const pid_t worker = wait_for_child(bench.pid(), "torchdiag-worke", 60);
  REQUIRE(worker > 0);
  // The loader maps LibTorch before main; the intra-op team starts with the first forward.
  REQUIRE(wait_until_mapped(worker, "libtorch", 60));
  REQUIRE(wait_for_threads(worker, 2, 60));
  const auto report = watch_json({"--pid", std::to_string(worker), "--duration", "2"});
  INFO(report.dump(1));
  const auto p = process_of(report, worker);
  REQUIRE(p.is_object());
  const auto& frameworks = p.at("frameworks");
  CHECK(std::find(frameworks.begin(), frameworks.end(), "libtorch") != frameworks.end());
  CHECK(p.at("exited") == false);
  CHECK(p.at("threads").get<int>() >= 2);
  const std::set<std::string> verdicts = {"oversubscribed", "undersubscribed", "ok", "idle", "exited"};
  CHECK(verdicts.count(p.at("verdict").get<std::string>()) == 1);
  CHECK(p.at("env").value("OMP_NUM_THREADS", "") == "2");
  bench.kill_and_reap(SIGTERM);
  CHECK(seconds_until_gone(worker, 10) < 10);
}
