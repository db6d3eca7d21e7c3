// Findings are pure functions of an InspectReport: each rule is checked on hand-built
// reports, firing where it should and staying quiet where it should not.
#include "advise/capacity_rules.h"
#include "advise/findings.h"
#include "unit/advise/finding_lookup.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

using namespace torchdiag;
using torchdiag::testing::all_of;
using torchdiag::testing::one_of;

namespace {

/// A report for `usable` usable threads on `usable` CPUs, no quota, no torch.
InspectReport base_report(int usable = 4) {
  InspectReport r;
  CpuSet mask;
  for (int i = 0; i < usable; ++i) mask.push_back(i);
  r.cpu.online = Fact<CpuSet>::known(mask);
  r.cpu.affinity = Fact<CpuSet>::known(mask);
  r.cpu.physical_cores = Fact<int>::known(usable);
  r.cpu.threads_per_core = Fact<int>::known(1);
  r.capacity.allowed_cpus = usable;
  r.capacity.usable_threads = usable;
  r.capacity.limited_by = LimitedBy::kAffinity;
  r.cgroup.cpu_stat = Fact<CpuStat>::unavailable("not read");
  return r;
}

InspectReport with_env(InspectReport r, std::map<std::string, std::string> vars) {
  r.env.vars = std::move(vars);
  return r;
}

InspectReport with_quota(InspectReport r, double quota_cpus) {
  r.cgroup.quota_cpus = quota_cpus;
  r.cgroup.quota_source = "/sys/fs/cgroup/cpu.max";
  r.capacity = compute_capacity(r.cpu, r.cgroup);
  return r;
}

InspectReport with_torch(InspectReport r, int intra_op_threads) {
  TorchFacts t;
  t.available = true;
  t.intra_op_threads = intra_op_threads;
  t.interop_threads = 1;
  t.allocator = "glibc";
  r.torch = t;
  return r;
}


bool fires(const std::vector<Finding>& findings, const std::string& id) {
  return !all_of(findings, id).empty();
}

}  // namespace

TEST_CASE("env-threads-exceed-usable: warning above usable, critical from 2x",
          "[advise][findings]") {
  struct Row {
    const char* omp;
    bool fires;
    Severity severity;
  };
  const Row rows[] = {
      {"1", false, Severity::kInfo},    {"4", false, Severity::kInfo},
      {"5", true, Severity::kWarning},  {"7", true, Severity::kWarning},
      {"8", true, Severity::kCritical}, {"64", true, Severity::kCritical},
  };
  for (const auto& row : rows) {
    INFO("OMP_NUM_THREADS=" << row.omp << " on 4 usable");
    const auto findings = diagnose(with_env(base_report(4), {{"OMP_NUM_THREADS", row.omp}}));
    const auto* f = one_of(findings, "env-threads-exceed-usable");
    CHECK((f != nullptr) == row.fires);
    if (f) {
      CHECK(f->severity == row.severity);
      CHECK(f->fix == "export OMP_NUM_THREADS=4");
      CHECK(f->message.find("OMP_NUM_THREADS=" + std::string(row.omp)) != std::string::npos);
    }
  }
}

TEST_CASE("env-threads-exceed-usable judges MKL_NUM_THREADS too", "[advise][findings]") {
  const auto findings =
      diagnose(with_env(base_report(2), {{"MKL_NUM_THREADS", "3"}, {"OMP_NUM_THREADS", "16"}}));
  const auto found = all_of(findings, "env-threads-exceed-usable");
  REQUIRE(found.size() == 2);
  const auto mkl = std::find_if(found.begin(), found.end(), [](const Finding* f) {
    return f->message.find("MKL_NUM_THREADS=3") != std::string::npos;
  });
  REQUIRE(mkl != found.end());
  CHECK((*mkl)->severity == Severity::kWarning);  // 3 < 2 x 2
  CHECK((*mkl)->fix == "export MKL_NUM_THREADS=2");
  // With one usable thread, 2 threads are already twice too many.
  const auto one = diagnose(with_env(base_report(1), {{"OMP_NUM_THREADS", "2"}}));
  REQUIRE(one_of(one, "env-threads-exceed-usable") != nullptr);
  CHECK(one_of(one, "env-threads-exceed-usable")->severity == Severity::kCritical);
}

TEST_CASE("env-threads-invalid for values that are not positive integers", "[advise][findings]") {
  for (const char* bad : {"abc", "0", "-2", "", "4.5", "4,4", "2000000", "1e3"}) {
    INFO("OMP_NUM_THREADS='" << bad << "'");
    const auto findings = diagnose(with_env(base_report(4), {{"OMP_NUM_THREADS", bad}}));
    const auto* f = one_of(findings, "env-threads-invalid");
    REQUIRE(f != nullptr);
    CHECK(f->severity == Severity::kWarning);
    CHECK(f->fix == "export OMP_NUM_THREADS=4");
    CHECK_FALSE(fires(findings, "env-threads-exceed-usable"));
  }
  for (const char* good : {"1", "4", " 4 ", "3\n"}) {
    INFO("OMP_NUM_THREADS='" << good << "'");
    CHECK(diagnose(with_env(base_report(4), {{"OMP_NUM_THREADS", good}})).empty());
  }
  const auto mkl = diagnose(with_env(base_report(4), {{"MKL_NUM_THREADS", "many"}}));
  CHECK(fires(mkl, "env-threads-invalid"));
}

TEST_CASE("mkl-omp-disagree when both are set to different values", "[advise][findings]") {
  const auto differ =
      diagnose(with_env(base_report(8), {{"OMP_NUM_THREADS", "2"}, {"MKL_NUM_THREADS", "4"}}));
  const auto* f = one_of(differ, "mkl-omp-disagree");
  REQUIRE(f != nullptr);
  CHECK(f->severity == Severity::kWarning);
  CHECK(f->message.find("MKL_NUM_THREADS=4") != std::string::npos);

  CHECK_FALSE(fires(
      diagnose(with_env(base_report(8), {{"OMP_NUM_THREADS", "4"}, {"MKL_NUM_THREADS", "4"}})),
      "mkl-omp-disagree"));
  CHECK_FALSE(
      fires(diagnose(with_env(base_report(8), {{"OMP_NUM_THREADS", "2"}})), "mkl-omp-disagree"));
  CHECK_FALSE(
      fires(diagnose(with_env(base_report(8), {{"MKL_NUM_THREADS", "2"}})), "mkl-omp-disagree"));
  // An invalid value is its own finding, not a disagreement.
  const auto invalid =
      diagnose(with_env(base_report(8), {{"OMP_NUM_THREADS", "x"}, {"MKL_NUM_THREADS", "4"}}));
  CHECK_FALSE(fires(invalid, "mkl-omp-disagree"));
  CHECK(fires(invalid, "env-threads-invalid"));
}

TEST_CASE("quota-without-thread-env when a binding quota is set and no thread count is",
          "[advise][findings]") {
  // A 2-CPU quota on 8 CPUs binds: LibTorch would size its pool from the 8.
  const auto quota_only = diagnose(with_quota(base_report(8), 2.0));
  const auto* f = one_of(quota_only, "quota-without-thread-env");
  REQUIRE(f != nullptr);
  CHECK(f->severity == Severity::kWarning);
  CHECK(f->message.find("2.00") != std::string::npos);
  CHECK(f->message.find("/sys/fs/cgroup/cpu.max") != std::string::npos);
  CHECK(f->fix == "export OMP_NUM_THREADS=2 MKL_NUM_THREADS=2");

  CHECK_FALSE(fires(diagnose(base_report(8)), "quota-without-thread-env"));
  CHECK_FALSE(fires(diagnose(with_env(with_quota(base_report(8), 2.0), {{"OMP_NUM_THREADS", "2"}})),
                    "quota-without-thread-env"));
  CHECK_FALSE(fires(diagnose(with_env(with_quota(base_report(8), 2.0), {{"MKL_NUM_THREADS", "1"}})),
                    "quota-without-thread-env"));
  // Variables that do not set the pool size do not count.
  CHECK(fires(diagnose(with_env(with_quota(base_report(8), 2.0), {{"OMP_PROC_BIND", "close"}})),
              "quota-without-thread-env"));
  // A quota equal to or above the CPUs in the mask is not the binding limit.
  CHECK_FALSE(fires(diagnose(with_quota(base_report(2), 2.0)), "quota-without-thread-env"));
  CHECK_FALSE(fires(diagnose(with_quota(base_report(2), 16.0)), "quota-without-thread-env"));
  CHECK(fires(diagnose(with_quota(base_report(2), 1.5)), "quota-without-thread-env"));
}

TEST_CASE("cfs-throttled: info below 20% of periods, warning from 20%", "[advise][findings]") {
  struct Row {
    long long periods;
    long long throttled;
    bool fires;
    Severity severity;
  };
  const Row rows[] = {
      {1000, 0, false, Severity::kInfo},      {1000, 10, true, Severity::kInfo},
      {1000, 199, true, Severity::kInfo},     {1000, 200, true, Severity::kWarning},
      {1500, 1320, true, Severity::kWarning}, {0, 0, false, Severity::kInfo},
  };
  for (const auto& row : rows) {
    INFO(row.throttled << " of " << row.periods << " periods throttled");
    auto r = with_quota(base_report(1), 1.0);
    r.env.vars = {{"OMP_NUM_THREADS", "1"}};
    r.cgroup.cpu_stat =
        Fact<CpuStat>::known(CpuStat{row.periods, row.throttled, 1.5}, "/sys/fs/cgroup/cpu.stat");
    const auto findings = diagnose(r);
    const auto* f = one_of(findings, "cfs-throttled");
    CHECK((f != nullptr) == row.fires);
    if (f) {
      CHECK(f->severity == row.severity);
      CHECK(f->message.find("/sys/fs/cgroup/cpu.stat") != std::string::npos);
    }
  }
  auto unavailable = with_quota(base_report(1), 1.0);
  unavailable.cgroup.cpu_stat = Fact<CpuStat>::unavailable("No such file or directory");
  CHECK_FALSE(fires(diagnose(unavailable), "cfs-throttled"));
}

TEST_CASE("smt-oversubscribed: more intra-op threads than physical cores", "[advise][findings]") {
  auto smt = base_report(8);
  smt.cpu.physical_cores = Fact<int>::known(4);
  smt.cpu.threads_per_core = Fact<int>::known(2);
  smt.capacity.usable_threads = 4;
  smt.capacity.limited_by = LimitedBy::kPhysicalCores;

  const auto over = diagnose(with_env(smt, {{"OMP_NUM_THREADS", "6"}}));
  const auto* f = one_of(over, "smt-oversubscribed");
  REQUIRE(f != nullptr);
  CHECK(f->severity == Severity::kWarning);
  CHECK(f->fix == "export OMP_NUM_THREADS=4");

  CHECK_FALSE(fires(diagnose(with_env(smt, {{"OMP_NUM_THREADS", "4"}})), "smt-oversubscribed"));
  CHECK_FALSE(fires(diagnose(smt), "smt-oversubscribed"));  // no thread count known
  // MKL_NUM_THREADS decides the intra-op pool when both are set.
  CHECK_FALSE(fires(diagnose(with_env(smt, {{"OMP_NUM_THREADS", "8"}, {"MKL_NUM_THREADS", "4"}})),
                    "smt-oversubscribed"));
  // LibTorch's own view counts when it is known.
  CHECK(fires(diagnose(with_torch(smt, 8)), "smt-oversubscribed"));

  auto no_smt = with_env(base_report(8), {{"OMP_NUM_THREADS", "8"}});
  CHECK_FALSE(fires(diagnose(no_smt), "smt-oversubscribed"));
  auto unknown = with_env(smt, {{"OMP_NUM_THREADS", "6"}});
  unknown.cpu.physical_cores = Fact<int>::unavailable("missing core_id");
  CHECK_FALSE(fires(diagnose(unknown), "smt-oversubscribed"));
}

TEST_CASE("oversubscription counts intra-op threads times engine threads", "[advise][findings]") {
  struct Row {
    int intra;
    int engines;
    bool fires;
    Severity severity;
  };
  const Row rows[] = {
      {4, 1, false, Severity::kInfo},    {5, 1, true, Severity::kWarning},
      {8, 1, true, Severity::kCritical}, {2, 2, false, Severity::kInfo},
      {2, 3, true, Severity::kWarning},  {2, 4, true, Severity::kCritical},
      {1, 4, false, Severity::kInfo},    {4, 5, true, Severity::kCritical},
  };
  for (const auto& row : rows) {
    INFO(row.intra << " intra-op x " << row.engines << " engines on 4 usable");
    const auto r = with_env(with_torch(base_report(4), row.intra), {{"OMP_NUM_THREADS", "1"}});
    const auto findings = diagnose(r, DiagnoseOptions{row.engines});
    const auto* f = one_of(findings, "oversubscription");
    CHECK((f != nullptr) == row.fires);
    if (f) CHECK(f->severity == row.severity);
  }
  const auto four_engines = diagnose(with_torch(base_report(4), 4), DiagnoseOptions{4});
  REQUIRE(one_of(four_engines, "oversubscription") != nullptr);
  CHECK(one_of(four_engines, "oversubscription")->fix ==
        "export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1");
  // Without LibTorch's view there is nothing to judge.
  auto unavailable = with_torch(base_report(4), 16);
  unavailable.torch->available = false;
  CHECK_FALSE(fires(diagnose(unavailable), "oversubscription"));
}

TEST_CASE("undersubscription only when no thread variable was chosen", "[advise][findings]") {
  const auto under = diagnose(with_torch(base_report(8), 2));
  const auto* f = one_of(under, "undersubscription");
  REQUIRE(f != nullptr);
  CHECK(f->severity == Severity::kWarning);
  CHECK(f->fix == "export OMP_NUM_THREADS=8 MKL_NUM_THREADS=8");

  CHECK_FALSE(fires(diagnose(with_env(with_torch(base_report(8), 2), {{"OMP_NUM_THREADS", "2"}})),
                    "undersubscription"));
  CHECK_FALSE(fires(diagnose(with_torch(base_report(8), 8)), "undersubscription"));
  // Two engine threads of 4 fill 8 usable threads.
  CHECK_FALSE(
      fires(diagnose(with_torch(base_report(8), 4), DiagnoseOptions{2}), "undersubscription"));
  CHECK_FALSE(fires(diagnose(base_report(8)), "undersubscription"));
}

TEST_CASE("reference-blas fires for the netlib BLAS only", "[advise][findings]") {
  auto r = with_env(with_torch(base_report(4), 4), {{"OMP_NUM_THREADS", "4"}});
  r.torch->blas = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3";
  r.torch->blas_is_reference = true;
  const auto findings = diagnose(r);
  const auto* f = one_of(findings, "reference-blas");
  REQUIRE(f != nullptr);
  CHECK(f->severity == Severity::kWarning);
  CHECK(f->message.find("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3") != std::string::npos);

  r.torch->blas = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3";
  r.torch->blas_is_reference = false;
  CHECK_FALSE(fires(diagnose(r), "reference-blas"));
}

TEST_CASE("multiple-openmp-runtimes when two OpenMP libraries are loaded", "[advise][findings]") {
  auto r = with_env(with_torch(base_report(4), 4), {{"OMP_NUM_THREADS", "4"}});
  r.torch->threadpools = {
      {"libgomp", PoolApi::kOpenmp, "/usr/lib/x86_64-linux-gnu/libgomp.so.1.0.0", 4},
      {"libopenblas", PoolApi::kBlas, "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3", 4},
  };
  CHECK_FALSE(fires(diagnose(r), "multiple-openmp-runtimes"));

  r.torch->threadpools.push_back({"libiomp", PoolApi::kOpenmp, "/opt/intel/lib/libiomp5.so", 4});
  const auto findings = diagnose(r);
  const auto* f = one_of(findings, "multiple-openmp-runtimes");
  REQUIRE(f != nullptr);
  CHECK(f->severity == Severity::kCritical);
  CHECK(f->message.find("libgomp.so.1.0.0") != std::string::npos);
  CHECK(f->message.find("libiomp5.so") != std::string::npos);
}

TEST_CASE("cgroup warnings become info findings", "[advise][findings]") {
  auto r = base_report(4);
  r.cgroup.warnings = {"/sys/fs/cgroup/cpu.max: empty file; treated as no known limit",
                       "cgroup path /x is not under the mount root /y"};
  const auto findings = diagnose(r);
  const auto found = all_of(findings, "cgroup-read-problem");
  REQUIRE(found.size() == 2);
  CHECK(found[0]->severity == Severity::kInfo);
  CHECK(found[0]->message == r.cgroup.warnings[0]);
}

TEST_CASE("a clean report has no findings", "[advise][findings]") {
  CHECK(diagnose(base_report(4)).empty());
  CHECK(diagnose(with_env(with_quota(base_report(2), 2.0), {{"OMP_NUM_THREADS", "2"}})).empty());
  CHECK(diagnose(with_env(with_torch(base_report(4), 4), {{"OMP_NUM_THREADS", "4"}})).empty());
}

TEST_CASE("findings come most severe first", "[advise][findings]") {
  auto r = with_env(with_quota(base_report(1), 1.0), {{"OMP_NUM_THREADS", "8"}});
  r.cgroup.warnings = {"a warning"};
  r.cgroup.cpu_stat = Fact<CpuStat>::known(CpuStat{100, 5, 0.1});
  const auto findings = diagnose(r);
  REQUIRE(findings.size() == 3);
  CHECK(findings[0].id == "env-threads-exceed-usable");
  CHECK(findings[0].severity == Severity::kCritical);
  for (size_t i = 1; i < findings.size(); ++i) {
    CHECK(static_cast<int>(findings[i - 1].severity) >= static_cast<int>(findings[i].severity));
  }
}

TEST_CASE("has_problem is true for warnings and critical findings only", "[advise][findings]") {
  const Finding info{"cgroup-read-problem", Severity::kInfo, "m", "f", ""};
  const Finding warning{"env-threads-invalid", Severity::kWarning, "m", "f", ""};
  const Finding critical{"multiple-openmp-runtimes", Severity::kCritical, "m", "f", ""};
  CHECK_FALSE(has_problem({}));
  CHECK_FALSE(has_problem({info, info}));
  CHECK(has_problem({info, warning}));
  CHECK(has_problem({critical}));
  CHECK(has_problem(diagnose(with_quota(base_report(8), 2.0))));
  CHECK_FALSE(has_problem(diagnose(base_report(2))));
}

TEST_CASE("env_intra_op_threads: MKL_NUM_THREADS beats OMP_NUM_THREADS", "[advise][findings]") {
  CHECK(env_intra_op_threads({}) == std::nullopt);
  CHECK(env_intra_op_threads({{"OMP_NUM_THREADS", "3"}}) == 3);
  CHECK(env_intra_op_threads({{"MKL_NUM_THREADS", "2"}}) == 2);
  CHECK(env_intra_op_threads({{"OMP_NUM_THREADS", "3"}, {"MKL_NUM_THREADS", "2"}}) == 2);
  CHECK(env_intra_op_threads({{"OMP_NUM_THREADS", "3"}, {"MKL_NUM_THREADS", "bad"}}) == 3);
  CHECK(env_intra_op_threads({{"OMP_NUM_THREADS", "0"}}) == std::nullopt);
}

TEST_CASE("speculation-mitigation-forced: SSBD forced by seccomp, by prctl, and not forced", "[findings]") {
  const auto with_node = [](const char* ssb, const char* ib, int seccomp) {
    auto r = base_report();
    NodeFacts n;
    n.kernel_release = Fact<std::string>::known("5.10.225");
    n.speculation_store_bypass = Fact<std::string>::known(ssb);
    n.speculation_indirect_branch = Fact<std::string>::known(ib);
    n.seccomp_mode = Fact<int>::known(seccomp);
    r.node = n;
    return r;
  };
  SECTION("seccomp-forced SSBD names the boot flag and the seccomp profile flag") {
    const auto findings = diagnose(with_node("thread force mitigated", "conditional enabled", 2));
    const auto* f = one_of(findings, "speculation-mitigation-forced");
    REQUIRE(f);
    CHECK(f->severity == Severity::kWarning);
    CHECK(f->message.find("Speculation_Store_Bypass: thread force mitigated") != std::string::npos);
    CHECK(f->message.find("kernel 5.10.225") != std::string::npos);
    CHECK(f->message.find("SpeculationIndirectBranch") == std::string::npos);
    CHECK(f->fix.find("spec_store_bypass_disable=prctl") != std::string::npos);
    CHECK(f->fix.find("SECCOMP_FILTER_FLAG_SPEC_ALLOW") != std::string::npos);
  }
  SECTION("a forced indirect-branch mitigation without seccomp points at prctl") {
    const auto findings = diagnose(with_node("thread vulnerable", "conditional force disabled", 0));
    const auto* f = one_of(findings, "speculation-mitigation-forced");
    REQUIRE(f);
    CHECK(f->message.find("SpeculationIndirectBranch: conditional force disabled") != std::string::npos);
    CHECK(f->fix.find("PR_SPEC_FORCE_DISABLE") != std::string::npos);
  }
  SECTION("mitigated by choice, vulnerable, or unknown: nothing") {
    for (const char* ssb : {"thread mitigated", "thread vulnerable", "globally mitigated", "not vulnerable"}) {
      INFO(ssb);
      const auto findings = diagnose(with_node(ssb, "always enabled", 2));
      CHECK(all_of(findings, "speculation-mitigation-forced").empty());
    }
    const auto without_node = diagnose(base_report());
    CHECK(all_of(without_node, "speculation-mitigation-forced").empty());
  }
}
