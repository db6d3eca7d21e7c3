// Verdicts and findings of `torchdiag watch` on hand-built measurements: each
// threshold is checked at its value and on both sides of it.
#include "advise/watch_rules.h"
#include "unit/advise/finding_lookup.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace torchdiag;
using torchdiag::testing::all_of;
using torchdiag::testing::one_of;
namespace limits = torchdiag::watch_limits;

namespace {

/// A process seen for 10 s with `usable` usable CPUs and 8 threads (so its pool is 8
/// unless a pool or the environment says otherwise).
WatchedProcess process(int pid, int usable, double runnable, double cpu, double wait,
                       std::optional<double> throttled = std::nullopt) {
  WatchedProcess p;
  p.pid = pid;
  p.comm = "python3";
  p.cmdline = "python3 serve.py";
  p.cgroup = "/kubepods/pod" + std::to_string(pid);
  p.capacity.allowed_cpus = usable;
  p.capacity.usable_threads = usable;
  p.capacity.limited_by = LimitedBy::kAffinity;
  p.threads = 8;
  p.observed_s = 10;
  p.figures.runnable_threads_mean = runnable;
  p.figures.cpu_used_cpus = cpu;
  p.figures.runqueue_wait_fraction = wait;
  p.throttled_fraction = throttled;
  return p;
}

WatchedProcess with_omp_pool(WatchedProcess p, int threads) {
  p.pools.push_back({ThreadKind::kOpenmp, "libgomp", threads});
  return p;
}

WatchedProcess in_cgroup(WatchedProcess p, const std::string& cgroup) {
  p.cgroup = cgroup;
  return p;
}

WatchedProcess with_env(WatchedProcess p, std::map<std::string, std::string> env) {
  p.thread_env = std::move(env);
  return p;
}


bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

WatchReport judged(std::vector<WatchedProcess> processes) {
  WatchReport r;
  r.processes = std::move(processes);
  judge_watch(r);
  return r;
}

}  // namespace

TEST_CASE("judge_process verdicts at and around each threshold", "[advise][watch]") {
  struct Row {
    const char* what;
    WatchedProcess p;
    Verdict want;
  };
  const double at_ratio = limits::kOverRatio * 4;  // exactly 1.15 x 4 usable
  const Row rows[] = {
      {"ratio exactly 1.15 with heavy waiting", process(1, 4, at_ratio, 4, 0.5), Verdict::kOk},
      {"ratio 1.16 with heavy waiting", process(1, 4, 4.64, 4, 0.5), Verdict::kOversubscribed},
      {"ratio 2, wait exactly 10%", process(1, 4, 8, 4, limits::kWaitFraction), Verdict::kOk},
      {"ratio 2, wait just over 10%", process(1, 4, 8, 4, 0.1001), Verdict::kOversubscribed},
      {"ratio 2, no wait, throttled exactly 10%", process(1, 4, 8, 4, 0, limits::kThrottledFraction),
       Verdict::kOk},
      {"ratio 2, no wait, throttled just over 10%", process(1, 4, 8, 4, 0, 0.1001), Verdict::kOversubscribed},
      {"ratio 2, little wait, throttling unknown", process(1, 4, 8, 4, 0.05), Verdict::kOk},
      {"ratio 1.16, little wait, heavy throttling", process(1, 4, 4.64, 4, 0.05, 0.5), Verdict::kOversubscribed},
      {"ratio 1.0, heavy waiting", process(1, 4, 4, 4, 0.9, 0.9), Verdict::kOk},
      {"idle: under both idle lines", process(1, 4, 0.09, 0.04, 0), Verdict::kIdle},
      {"not idle: CPU exactly at the idle line", process(1, 4, 0.09, limits::kIdleCpus, 0), Verdict::kOk},
      {"not idle: runnable exactly at the idle line", process(1, 4, limits::kIdleRunnable, 0.04, 0),
       Verdict::kOk},
      {"undersubscribed: pool 2 busy at exactly 80%",
       with_omp_pool(process(1, 4, 2, limits::kBusyShare * 2, 0), 2), Verdict::kUndersubscribed},
      {"not undersubscribed: pool 2 just under 80% busy", with_omp_pool(process(1, 4, 2, 1.59, 0), 2),
       Verdict::kOk},
      {"undersubscribed: pool 3 of 4, fully busy", with_omp_pool(process(1, 4, 3, 3, 0), 3),
       Verdict::kUndersubscribed},
      {"not undersubscribed: pool as large as the usable CPUs", with_omp_pool(process(1, 4, 4, 4, 0), 4),
       Verdict::kOk},
      {"oversubscription wins over a small busy pool", with_omp_pool(process(1, 4, 6, 4, 0.3), 2),
       Verdict::kOversubscribed},
      {"one usable CPU, two runnable threads waiting", process(1, 1, 2, 1, 0.5), Verdict::kOversubscribed},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    auto p = row.p;
    judge_process(p);
    CHECK(p.verdict == row.want);
    CHECK_FALSE(p.verdict_reason.empty());
    CHECK(p.oversubscription_ratio ==
          Approx(row.p.figures.runnable_threads_mean / std::max(1, row.p.capacity.usable_threads)));
  }
}

TEST_CASE("judge_process: a process never seen for an interval", "[advise][watch]") {
  SECTION("exited before the first interval") {
    auto p = process(7, 4, 40, 4, 0.9, 0.9);
    p.observed_s = 0;
    p.exited = true;
    judge_process(p);
    CHECK(p.verdict == Verdict::kExited);
    CHECK(p.verdict_reason == "exited before one interval was seen");
  }
  SECTION("still running, but no interval completed") {
    auto p = process(7, 4, 40, 4, 0.9, 0.9);
    p.observed_s = 0;
    judge_process(p);
    CHECK(p.verdict == Verdict::kIdle);
    CHECK(p.verdict_reason == "no interval was completed");
  }
  SECTION("exited after some intervals: judged on what was seen") {
    auto p = process(7, 4, 8, 4, 0.5);
    p.observed_s = 2.5;
    p.exited = true;
    judge_process(p);
    CHECK(p.verdict == Verdict::kOversubscribed);
  }
}

TEST_CASE("judge_process explains its verdict with the numbers", "[advise][watch]") {
  SECTION("oversubscribed on one CPU of quota, with waiting and throttling") {
    auto p = process(3, 1, 8, 1, 0.88, 0.96);
    p.capacity.limited_by = LimitedBy::kQuota;
    judge_process(p);
    REQUIRE(p.verdict == Verdict::kOversubscribed);
    CHECK(p.verdict_reason ==
          "8.0 runnable threads on 1 usable CPU (quota): 88% of runnable time waiting for a CPU, "
          "96% of CFS periods throttled");
    CHECK(p.oversubscription_ratio == Approx(8.0));
  }
  SECTION("oversubscribed by waiting only") {
    auto p = process(3, 4, 6, 4, 0.25);
    judge_process(p);
    REQUIRE(p.verdict == Verdict::kOversubscribed);
    CHECK(p.verdict_reason == "6.0 runnable threads on 4 usable CPUs (affinity): 25% of runnable time waiting for a CPU");
  }
  SECTION("undersubscribed") {
    auto p = with_omp_pool(process(3, 4, 2, 1.6, 0), 2);
    judge_process(p);
    REQUIRE(p.verdict == Verdict::kUndersubscribed);
    CHECK(p.verdict_reason == "busy on 2 pool thread(s) (1.60 CPUs used) while 4 threads are usable");
  }
}

TEST_CASE("pool_threads: OpenMP pool, then MKL_NUM_THREADS, then OMP_NUM_THREADS, then threads",
          "[advise][watch]") {
  struct Row {
    const char* what;
    std::vector<PoolThreads> pools;
    std::map<std::string, std::string> env;
    int threads;
    int want;
  };
  const std::vector<PoolThreads> omp_and_blas = {{ThreadKind::kBlas, "libopenblas", 6},
                                                 {ThreadKind::kOpenmp, "libgomp", 5}};
  const std::vector<PoolThreads> no_omp = {{ThreadKind::kBlas, "libopenblas", 6},
                                           {ThreadKind::kInterop, "", 3}};
  const Row rows[] = {
      {"an OpenMP pool beats everything", omp_and_blas, {{"MKL_NUM_THREADS", "3"}, {"OMP_NUM_THREADS", "2"}}, 40, 5},
      {"MKL_NUM_THREADS beats OMP_NUM_THREADS", no_omp, {{"MKL_NUM_THREADS", "3"}, {"OMP_NUM_THREADS", "2"}}, 40, 3},
      {"OMP_NUM_THREADS alone", {}, {{"OMP_NUM_THREADS", "2"}}, 40, 2},
      {"MKL_NUM_THREADS alone", {}, {{"MKL_NUM_THREADS", "7"}}, 40, 7},
      {"an invalid MKL_NUM_THREADS falls back to OMP_NUM_THREADS", {}, {{"MKL_NUM_THREADS", "abc"}, {"OMP_NUM_THREADS", "2"}}, 40, 2},
      {"MKL_NUM_THREADS=0 falls back to OMP_NUM_THREADS", {}, {{"MKL_NUM_THREADS", "0"}, {"OMP_NUM_THREADS", "6"}}, 40, 6},
      {"an invalid OMP_NUM_THREADS falls back to the threads", {}, {{"OMP_NUM_THREADS", "-1"}}, 40, 40},
      {"nothing set: all threads", no_omp, {}, 40, 40},
      {"no thread seen: one", {}, {}, 0, 1},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    WatchedProcess p;
    p.pools = row.pools;
    p.thread_env = row.env;
    p.threads = row.threads;
    CHECK(pool_threads(p) == row.want);
  }
}

TEST_CASE("judge_process stores the pool size and the ratio", "[advise][watch]") {
  auto p = with_env(process(5, 4, 10, 4, 0.5), {{"OMP_NUM_THREADS", "16"}});
  judge_process(p);
  CHECK(p.pool_threads == 16);
  CHECK(p.oversubscription_ratio == Approx(2.5));
  auto none = process(5, 0, 3, 1, 0);  // no usable CPU known: counted as one
  judge_process(none);
  CHECK(none.oversubscription_ratio == Approx(3.0));
}

TEST_CASE("group_by_cgroup sums the processes of each cgroup", "[advise][watch]") {
  std::vector<WatchedProcess> ps = {
      with_env(in_cgroup(process(10, 4, 3, 2.5, 0.2, 0.3), "/a"), {{"OMP_NUM_THREADS", "4"}}),
      in_cgroup(process(11, 2, 1, 1, 0), "/b"),
      with_env(in_cgroup(process(12, 6, 5, 3.5, 0.4, 0.5), "/a"), {{"OMP_NUM_THREADS", "4"}}),
      in_cgroup(process(13, 4, 9, 4, 0.9), "/a"),
  };
  ps[3].observed_s = 0;  // exited before one interval: left out
  ps[3].exited = true;
  for (auto& p : ps) judge_process(p);
  const auto cgroups = group_by_cgroup(ps);
  REQUIRE(cgroups.size() == 2);

  const auto& a = cgroups[0];
  CHECK(a.path == "/a");
  CHECK(a.pids == std::vector<int>{10, 12});
  CHECK(a.usable_threads == 6);  // the largest of its processes
  CHECK(a.pool_threads == 8);
  CHECK(a.runnable_threads_mean == Approx(8.0));
  CHECK(a.cpu_used_cpus == Approx(6.0));
  CHECK(a.runqueue_wait_fraction == Approx((3 * 0.2 + 5 * 0.4) / 8));
  REQUIRE(a.throttled_fraction);
  CHECK(*a.throttled_fraction == Approx(0.5));
  CHECK(a.oversubscription_ratio == Approx(8.0 / 6));
  CHECK(a.verdict == Verdict::kOversubscribed);
  CHECK(contains(a.verdict_reason, "8.0 runnable threads on 6 usable CPUs"));

  const auto& b = cgroups[1];
  CHECK(b.path == "/b");
  CHECK(b.pids == std::vector<int>{11});
  CHECK(b.usable_threads == 2);
  CHECK(b.pool_threads == 8);
  CHECK_FALSE(b.throttled_fraction);
  CHECK(b.runqueue_wait_fraction == Approx(0.0));
  CHECK(b.verdict == Verdict::kOk);
}

TEST_CASE("group_by_cgroup verdicts for a whole cgroup", "[advise][watch]") {
  struct Row {
    const char* what;
    std::vector<WatchedProcess> ps;
    Verdict want;
  };
  const Row rows[] = {
      {"two processes fine alone, oversubscribed together",
       {in_cgroup(with_env(process(1, 4, 3, 2, 0.3), {{"OMP_NUM_THREADS", "4"}}), "/c"),
        in_cgroup(with_env(process(2, 4, 3, 2, 0.3), {{"OMP_NUM_THREADS", "4"}}), "/c")},
       Verdict::kOversubscribed},
      {"two idle processes", {in_cgroup(process(1, 4, 0.02, 0.01, 0), "/c"), in_cgroup(process(2, 4, 0.02, 0.01, 0), "/c")},
       Verdict::kIdle},
      {"two one-thread pools busy on four CPUs",
       {in_cgroup(with_omp_pool(process(1, 4, 1, 1, 0), 1), "/c"), in_cgroup(with_omp_pool(process(2, 4, 1, 1, 0), 1), "/c")},
       Verdict::kUndersubscribed},
      {"sum exactly at 1.15 with waiting",
       {in_cgroup(process(1, 4, limits::kOverRatio * 2, 2, 0.5), "/c"),
        in_cgroup(process(2, 4, limits::kOverRatio * 2, 2, 0.5), "/c")},
       Verdict::kOk},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    auto ps = row.ps;
    for (auto& p : ps) judge_process(p);
    const auto cgroups = group_by_cgroup(ps);
    REQUIRE(cgroups.size() == 1);
    CHECK(cgroups[0].verdict == row.want);
    CHECK_FALSE(cgroups[0].verdict_reason.empty());
  }
}

TEST_CASE("a multi-process oversubscribed cgroup gets one finding with the product", "[advise][watch]") {
  SECTION("equal pools") {
    const auto r = judged({in_cgroup(with_env(process(21, 4, 3, 2, 0.3), {{"OMP_NUM_THREADS", "4"}}), "/pod"),
                           in_cgroup(with_env(process(22, 4, 3, 2, 0.3), {{"OMP_NUM_THREADS", "4"}}), "/pod")});
    REQUIRE(r.cgroups.size() == 1);
    const auto* f = one_of(r.findings, "cgroup-oversubscribed");
    REQUIRE(f != nullptr);
    CHECK(f->severity == Severity::kWarning);  // 6 runnable on 4: ratio 1.5
    CHECK(contains(f->message, "cgroup /pod: 2 processes x 4 pool threads = 8 threads on 4 usable CPUs"));
    CHECK(contains(f->message, "30% of runnable time waiting for a CPU"));
    CHECK(f->fix == "keep workers x threads <= 4: OMP_NUM_THREADS=2 for each of the 2 busy processes");
    CHECK(all_of(r.findings, "oversubscription").empty());  // each alone is fine
  }
  SECTION("unequal pools") {
    const auto r = judged({in_cgroup(with_env(process(21, 4, 3, 2, 0.3), {{"OMP_NUM_THREADS", "4"}}), "/pod"),
                           in_cgroup(with_env(process(22, 4, 3, 2, 0.3), {{"OMP_NUM_THREADS", "2"}}), "/pod")});
    const auto* f = one_of(r.findings, "cgroup-oversubscribed");
    REQUIRE(f != nullptr);
    CHECK(contains(f->message, "2 processes with 4 + 2 pool threads = 6 threads on 4 usable CPUs"));
  }
  SECTION("more workers than CPUs: critical, and fewer workers suggested") {
    std::vector<WatchedProcess> ps;
    for (int pid = 31; pid <= 35; ++pid) {
      ps.push_back(in_cgroup(with_env(process(pid, 4, 2, 0.8, 0.5), {{"OMP_NUM_THREADS", "2"}}), "/pod"));
    }
    const auto r = judged(ps);
    const auto* f = one_of(r.findings, "cgroup-oversubscribed");
    REQUIRE(f != nullptr);
    CHECK(f->severity == Severity::kCritical);  // 10 runnable on 4
    CHECK(contains(f->message, "5 processes x 2 pool threads = 10 threads on 4 usable CPUs"));
    CHECK(f->fix ==
          "keep workers x threads <= 4: OMP_NUM_THREADS=1 for each of the 5 busy processes, or run at most 4 workers");
  }
  SECTION("one oversubscribed process alone in its cgroup gets the process finding only") {
    const auto r = judged({in_cgroup(process(41, 4, 8, 4, 0.5), "/solo")});
    CHECK(all_of(r.findings, "cgroup-oversubscribed").empty());
    CHECK(one_of(r.findings, "oversubscription") != nullptr);
  }
}

TEST_CASE("the oversubscription finding names the usable count in its fix", "[advise][watch]") {
  struct Row {
    double runnable;
    Severity severity;
  };
  for (const auto& row : {Row{4.64, Severity::kWarning}, Row{7.9, Severity::kWarning}, Row{8, Severity::kCritical},
                          Row{40, Severity::kCritical}}) {
    INFO("runnable " << row.runnable << " on 4");
    const auto r = judged({with_env(process(42, 4, row.runnable, 4, 0.5), {{"OMP_NUM_THREADS", "16"}})});
    const auto* f = one_of(r.findings, "oversubscription");
    REQUIRE(f != nullptr);
    CHECK(f->severity == row.severity);
    CHECK(contains(f->message, "PID 42 (python3)"));
    CHECK(contains(f->message, "16 pool thread(s)"));
    CHECK(contains(f->message, "OMP_NUM_THREADS=16"));
    CHECK(f->fix.rfind("set OMP_NUM_THREADS=4 MKL_NUM_THREADS=4 in the environment of PID 42", 0) == 0);
  }
  const auto quota = judged({process(43, 2, 8, 2, 0.6, 0.7)});
  const auto* f = one_of(quota.findings, "oversubscription");
  REQUIRE(f != nullptr);
  CHECK(contains(f->fix, "OMP_NUM_THREADS=2 "));
  CHECK(contains(f->message, "ratio 4.00"));
  CHECK(contains(f->message, "no OMP_NUM_THREADS/MKL_NUM_THREADS set"));
  auto unreadable = process(44, 2, 8, 2, 0.6);
  unreadable.env_error = "Permission denied";
  const auto unreadable_report = judged({unreadable});
  const auto* g = one_of(unreadable_report.findings, "oversubscription");
  REQUIRE(g != nullptr);
  CHECK(contains(g->message, "its environment could not be read"));
}

TEST_CASE("the fix for a LibTorch process fits its language", "[advise][watch]") {
  struct Row {
    const char* what;
    const char* comm;
    const char* cmdline;
    std::vector<std::string> frameworks;
    bool cpp_hint;
    bool python_hint;
  };
  const Row rows[] = {
      {"a C++ engine linking libtorch", "infer_server", "/opt/app/infer_server --port 9000", {"libtorch"}, true, false},
      {"python by its comm", "python3", "python3 serve.py", {"libtorch"}, false, true},
      {"python by its command line", "pt_main_thread", "/usr/bin/python3.11 -m serve", {"libtorch"}, false, true},
      {"ONNX Runtime only", "infer_server", "/opt/app/infer_server", {"onnxruntime"}, false, false},
      {"no framework", "worker", "/opt/app/worker", {}, false, false},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    auto p = process(50, 4, 8, 4, 0.5);
    p.comm = row.comm;
    p.cmdline = row.cmdline;
    p.frameworks = row.frameworks;
    const auto r = judged({p});
    const auto* f = one_of(r.findings, "oversubscription");
    REQUIRE(f != nullptr);
    CHECK(contains(f->fix, "at::set_num_threads") == row.cpp_hint);
    CHECK(contains(f->fix, "torch.set_num_threads(4)") == row.python_hint);
    if (row.cpp_hint) {
      CHECK(contains(f->fix, "at::set_num_threads(max(1, 4 / E))"));
      CHECK(contains(f->fix, "when E >= 4"));
    }
  }
  // The undersubscription fix carries the same hint.
  auto small = with_omp_pool(process(51, 8, 2, 2, 0), 2);
  small.comm = "engine";
  small.cmdline = "/srv/engine";
  small.frameworks = {"libtorch"};
  const auto r = judged({small});
  const auto* f = one_of(r.findings, "undersubscription");
  REQUIRE(f != nullptr);
  CHECK(f->severity == Severity::kWarning);
  CHECK(f->fix.rfind("set OMP_NUM_THREADS=8 MKL_NUM_THREADS=8 in the environment of PID 51", 0) == 0);
  CHECK(contains(f->fix, "at::set_num_threads"));
}

TEST_CASE("openmp-spin fires from a fifth of the samples", "[advise][watch]") {
  struct Row {
    std::optional<double> spin;
    bool over;
    bool fires;
    Severity severity;
  };
  const Row rows[] = {
      {limits::kSpinFraction, false, true, Severity::kInfo},
      {0.1999, false, false, Severity::kInfo},
      {std::nullopt, false, false, Severity::kInfo},
      {0.9, true, true, Severity::kWarning},
  };
  for (const auto& row : rows) {
    INFO("spin " << row.spin.value_or(-1) << (row.over ? " oversubscribed" : " ok"));
    auto p = row.over ? process(60, 4, 8, 4, 0.5) : process(60, 4, 3, 3, 0);
    p.spin_fraction = row.spin;
    const auto r = judged({p});
    const auto* f = one_of(r.findings, "openmp-spin");
    CHECK((f != nullptr) == row.fires);
    if (!f) continue;
    CHECK(f->severity == row.severity);
    CHECK(contains(f->message, "PID 60 (python3)"));
    CHECK(f->fix == "set OMP_NUM_THREADS to at most 4 and OMP_WAIT_POLICY=passive in the environment of PID 60");
  }
}

TEST_CASE("multiple-openmp-runtimes needs two different OpenMP paths", "[advise][watch]") {
  const ThreadPoolLib gomp{"libgomp", PoolApi::kOpenmp, "/usr/lib/x86_64-linux-gnu/libgomp.so.1", std::nullopt};
  const ThreadPoolLib wheel{"libgomp", PoolApi::kOpenmp, "/venv/torch/lib/libgomp-a34b3233.so.1", std::nullopt};
  const ThreadPoolLib blas{"libopenblas", PoolApi::kBlas, "/usr/lib/libopenblas.so.0", std::nullopt};
  struct Row {
    std::vector<ThreadPoolLib> libs;
    bool fires;
  };
  const Row rows[] = {{{gomp, wheel}, true}, {{gomp, gomp}, false}, {{gomp, blas}, false}, {{}, false}};
  for (const auto& row : rows) {
    INFO(row.libs.size() << " libraries");
    auto p = process(70, 4, 3, 3, 0);
    p.threadpools = row.libs;
    const auto report = judged({p});
    const auto* f = one_of(report.findings, "multiple-openmp-runtimes");
    CHECK((f != nullptr) == row.fires);
    if (!f) continue;
    CHECK(f->severity == Severity::kCritical);
    CHECK(contains(f->message, gomp.path));
    CHECK(contains(f->message, wheel.path));
  }
}

TEST_CASE("cfs-throttled for a cgroup that is throttled but not oversubscribed", "[advise][watch]") {
  const auto throttled = judged({in_cgroup(process(80, 2, 1.5, 1.5, 0.02, 0.25), "/q")});
  const auto* f = one_of(throttled.findings, "cfs-throttled");
  REQUIRE(f != nullptr);
  CHECK(f->severity == Severity::kWarning);
  CHECK(f->message == "cgroup /q: 25% of CFS periods throttled during the watch");
  CHECK(f->fix == "run at most 2 busy thread(s) in this cgroup, or raise its CPU limit");
  const auto at_threshold = judged({in_cgroup(process(80, 2, 1.5, 1.5, 0.02, 0.10), "/q")});
  CHECK(all_of(at_threshold.findings, "cfs-throttled").empty());
  // Oversubscribed: the oversubscription finding already says it.
  const auto oversubscribed = judged({in_cgroup(process(80, 2, 8, 2, 0.5, 0.9), "/q")});
  CHECK(all_of(oversubscribed.findings, "cfs-throttled").empty());
}

TEST_CASE("watch findings come most severe first", "[advise][watch]") {
  auto spin = process(90, 4, 3, 3, 0);  // ok, spinning: info
  spin.spin_fraction = 0.5;
  auto under = with_omp_pool(process(91, 8, 2, 2, 0), 2);  // warning
  auto over = process(92, 4, 20, 4, 0.8);                    // ratio 5: critical
  auto runtimes = process(93, 4, 3, 3, 0);                   // critical
  runtimes.threadpools = {{"libgomp", PoolApi::kOpenmp, "/a/libgomp.so.1", std::nullopt},
                          {"libiomp", PoolApi::kOpenmp, "/b/libiomp5.so", std::nullopt}};
  const auto r = judged({spin, under, over, runtimes});
  REQUIRE(r.findings.size() == 4);
  for (size_t i = 1; i < r.findings.size(); ++i) {
    INFO(r.findings[i - 1].id << " then " << r.findings[i].id);
    CHECK(static_cast<int>(r.findings[i - 1].severity) >= static_cast<int>(r.findings[i].severity));
  }
  CHECK(r.findings[0].id == "oversubscription");  // ties keep the order of the processes
  CHECK(r.findings[1].id == "multiple-openmp-runtimes");
  CHECK(r.findings[2].id == "undersubscription");
  CHECK(r.findings[3].id == "openmp-spin");
  CHECK(r.findings[3].severity == Severity::kInfo);
}

TEST_CASE("judge_watch fills verdicts, cgroups and findings", "[advise][watch]") {
  auto gone = process(101, 4, 9, 4, 0.9);
  gone.observed_s = 0;
  gone.exited = true;
  const auto r = judged({in_cgroup(process(100, 4, 8, 4, 0.5), "/x"), in_cgroup(gone, "/y")});
  REQUIRE(r.processes.size() == 2);
  CHECK(r.processes[0].verdict == Verdict::kOversubscribed);
  CHECK(r.processes[0].pool_threads == 8);
  CHECK(r.processes[1].verdict == Verdict::kExited);
  REQUIRE(r.cgroups.size() == 1);  // the exited process was never seen for an interval
  CHECK(r.cgroups[0].path == "/x");
  CHECK(one_of(r.findings, "oversubscription") != nullptr);
  CHECK(r.findings.size() == 1);
}

TEST_CASE("a process fix in a shared oversubscribed cgroup does not undo the cgroup's split",
          "[advise][watch]") {
  // Two workers share one 4-CPU quota and are each oversubscribed. The cgroup finding
  // says OMP_NUM_THREADS=2 for each; a per-process fix of OMP_NUM_THREADS=4 would
  // leave 8 pool threads on 4 CPUs if followed.
  const auto r = judged({in_cgroup(with_env(process(111, 4, 6, 4, 0.5), {{"OMP_NUM_THREADS", "8"}}), "/shared"),
                         in_cgroup(with_env(process(112, 4, 6, 4, 0.5), {{"OMP_NUM_THREADS", "8"}}), "/shared")});
  const auto* cg = one_of(r.findings, "cgroup-oversubscribed");
  REQUIRE(cg != nullptr);
  CHECK(contains(cg->fix, "OMP_NUM_THREADS=2 for each of the 2 busy processes"));
  for (const auto* f : all_of(r.findings, "oversubscription")) {
    INFO(f->fix);
    CHECK_FALSE(contains(f->fix, "OMP_NUM_THREADS=4 "));
  }
}

TEST_CASE("an idle neighbour in the cgroup does not shrink a busy process's share", "[advise][watch]") {
  const auto r = judged({in_cgroup(with_env(process(121, 4, 8, 4, 0.5), {{"OMP_NUM_THREADS", "8"}}), "/shared"),
                         in_cgroup(process(122, 4, 0.01, 0.0, 0.0), "/shared")});
  REQUIRE(r.processes[1].verdict == Verdict::kIdle);
  const auto* f = one_of(r.findings, "oversubscription");
  REQUIRE(f != nullptr);
  CHECK(contains(f->fix, "OMP_NUM_THREADS=4 "));
}
