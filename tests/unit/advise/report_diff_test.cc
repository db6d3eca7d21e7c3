// Ranking the differences between two reports: categories, reasons, findings on one
// side, bench configurations matched and tested.
#include "advise/report_diff.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

using namespace torchdiag;

namespace {

ComparableReport inspect(std::vector<std::pair<std::string, std::string>> facts, std::vector<Finding> findings = {}) {
  ComparableReport r;
  r.kind = ReportKind::kInspect;
  r.schema = "torchdiag.inspect/1";
  r.facts = std::move(facts);
  r.findings = std::move(findings);
  r.sections = {"cpu", "env", "node", "host"};
  return r;
}

const FactDifference* find(const DiffReport& d, const std::string& path) {
  for (const auto& f : d.differences) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

BenchRow row(std::optional<int> threads, double p50, double sigma, unsigned seed, size_t n = 500) {
  BenchRow r;
  r.spec.workload = Workload::kIndexSelect;
  r.spec.threads = threads;
  r.latency.p50 = p50;
  std::mt19937 rng(seed);
  std::normal_distribution<double> z(0, sigma);
  for (size_t i = 0; i < n; ++i) r.samples_s.push_back(p50 * std::exp(z(rng)));
  return r;
}

}  // namespace

TEST_CASE("rule_for: each kind of fact lands in its category, bench context and arrays included", "[diff]") {
  CHECK(rule_for("cpu.usable_threads").category == DiffCategory::kCapacity);
  CHECK(rule_for("context.cpu.quota_cpus").category == DiffCategory::kCapacity);
  CHECK(rule_for("cpu.affinity").category == DiffCategory::kCapacity);
  CHECK(rule_for("cpu.affinity_list").category == DiffCategory::kOther);  // restates cpu.affinity
  CHECK(rule_for("env.OMP_NUM_THREADS").category == DiffCategory::kThreads);
  CHECK(rule_for("env.KMP_BLOCKTIME").category == DiffCategory::kThreads);
  CHECK(rule_for("processes[python3].env.OMP_NUM_THREADS").category == DiffCategory::kThreads);
  CHECK(rule_for("processes[python3#2].usable_threads").category == DiffCategory::kCapacity);
  CHECK(rule_for("node.process.speculation_store_bypass").category == DiffCategory::kSecurity);
  CHECK(rule_for("node.vulnerabilities.retbleed").category == DiffCategory::kSecurity);
  CHECK(rule_for("node.cpu.frequency[0].governor").category == DiffCategory::kCpu);
  CHECK(rule_for("node.cpu.frequency[0].cur_khz_max").category == DiffCategory::kOther);
  CHECK(rule_for("node.kernel.release").category == DiffCategory::kKernel);
  CHECK(rule_for("node.sched.sched_autogroup_enabled").category == DiffCategory::kKernel);
  CHECK(rule_for("context.host").category == DiffCategory::kOther);
  CHECK(rule_for("cpu.usable_threads_extra").category == DiffCategory::kOther);  // exact, not a prefix
  CHECK_FALSE(rule_for("cpu.usable_threads").why.empty());
}

TEST_CASE("diff_reports: capacity first, then threads, findings, speculation, CPU, kernel, other", "[diff]") {
  const auto a = inspect({{"node.kernel.release", "5.10"}, {"cpu.usable_threads", "4"}, {"host", "a"},
                          {"node.process.speculation_store_bypass", "thread force mitigated"},
                          {"node.cpu.model", "Xeon"}, {"cpu.physical_cores", "48"}},
                         {{"quota-without-thread-env", Severity::kWarning, "quota 4 on 48 CPUs", "set OMP", ""}});
  const auto b = inspect({{"node.kernel.release", "6.1"}, {"cpu.usable_threads", "16"}, {"host", "b"},
                          {"node.process.speculation_store_bypass", "thread vulnerable"},
                          {"node.cpu.model", "EPYC"}, {"cpu.physical_cores", "16"},
                          {"env.OMP_NUM_THREADS", "4"}});
  const auto d = diff_reports(a, b);
  std::vector<std::string> order;
  for (const auto& f : d.differences) order.push_back(f.path);
  CHECK(order == std::vector<std::string>{"cpu.usable_threads", "cpu.physical_cores", "env.OMP_NUM_THREADS",
                                          "findings.quota-without-thread-env",
                                          "node.process.speculation_store_bypass", "node.cpu.model",
                                          "node.kernel.release", "host"});
  const auto* env = find(d, "env.OMP_NUM_THREADS");
  REQUIRE(env);
  CHECK(env->a == "absent");
  CHECK(env->b == "4");
  const auto* finding = find(d, "findings.quota-without-thread-env");
  REQUIRE(finding);
  CHECK(finding->a == "quota-without-thread-env (warning)");
  CHECK(finding->b == "absent");
  CHECK(finding->why == "quota 4 on 48 CPUs");
  CHECK(d.mattering() == 7);  // all but host
}

TEST_CASE("diff_reports: equal reports differ in nothing; per-node subjects do not split findings", "[diff]") {
  const Finding on_a{"oversubscribed", Severity::kWarning, "pid 10 runs 48 threads", "fix", "pid 10"};
  const Finding on_b{"oversubscribed", Severity::kWarning, "pid 77 runs 48 threads", "fix", "pid 77"};
  auto a = inspect({{"cpu.usable_threads", "4"}}, {on_a});
  auto b = inspect({{"cpu.usable_threads", "4"}}, {on_b});
  const auto d = diff_reports(a, b);
  CHECK(d.differences.empty());
  CHECK(d.mattering() == 0);
  // A subject that is a setting is part of the identity.
  a.findings = {{"env-threads-invalid", Severity::kWarning, "bad", "fix", "OMP_NUM_THREADS"}};
  b.findings = {{"env-threads-invalid", Severity::kWarning, "bad", "fix", "MKL_NUM_THREADS"}};
  CHECK(diff_reports(a, b).differences.size() == 2);
}

TEST_CASE("diff_reports: bench configurations matched, tested, and named when on one side only", "[diff]") {
  ComparableReport a, b;
  a.kind = b.kind = ReportKind::kBench;
  a.rows = {row(1, 1e-3, 0.08, 1), row(2, 0.6e-3, 0.08, 2), row(4, 0.5e-3, 0.02, 3), row(8, 0.4e-3, 0.05, 4)};
  b.rows = {row(1, 1e-3, 0.08, 11), row(2, 0.9e-3, 0.08, 12), row(4, 0.51e-3, 0.02, 13), row(16, 0.4e-3, 0.05, 14)};
  b.rows[0].warnings.push_back({"wide-spread", "spread too wide"});
  const auto d = diff_reports(a, b);
  REQUIRE(d.configs.size() == 3);
  CHECK(d.configs[0].key == "index_select threads=1 interop=default streams=1 glibc");
  CHECK_FALSE(d.configs[0].significant);
  CHECK_FALSE(d.configs[0].matters);
  CHECK(d.configs[0].noise == std::vector<std::string>{"B: spread too wide"});
  CHECK(d.configs[1].ratio == Approx(1.5));
  CHECK(d.configs[1].significant);
  CHECK(d.configs[1].matters);
  CHECK(d.configs[2].significant);       // 2% with a tight spread is real...
  CHECK_FALSE(d.configs[2].matters);     // ...but below the 5% that matters
  CHECK(d.only_in_a == std::vector<std::string>{"index_select threads=8 interop=default streams=1 glibc"});
  CHECK(d.only_in_b == std::vector<std::string>{"index_select threads=16 interop=default streams=1 glibc"});
  CHECK(d.mattering() == 3);
  CHECK(d.method.find("Mann-Whitney") != std::string::npos);
}

TEST_CASE("diff_reports: a failed side, and rows without samples", "[diff]") {
  ComparableReport a, b;
  a.kind = b.kind = ReportKind::kBench;
  a.rows = {row(1, 1e-3, 0.08, 1), row(2, 1e-3, 0.08, 2, 0)};
  b.rows = {row(1, 1e-3, 0.08, 3), row(2, 2e-3, 0.08, 4, 0)};
  b.rows[0].status = RowStatus::kTimeout;
  const auto d = diff_reports(a, b);
  REQUIRE(d.configs.size() == 2);
  CHECK(d.configs[0].matters);            // ok on A, timeout on B
  CHECK_FALSE(d.configs[0].p_value);
  CHECK_FALSE(d.configs[1].p_value);      // no samples: untested, the 2x gap still matters
  CHECK(d.configs[1].matters);
}

TEST_CASE("diff_reports: a section reported on one side only is not a difference that matters", "[diff]") {
  const auto a = inspect({{"cpu.usable_threads", "4"}, {"torch.intra_op_threads", "48"}, {"torch.available", "true"}});
  auto a_with_torch = a;
  a_with_torch.sections.push_back("torch");
  const auto b = inspect({{"cpu.usable_threads", "4"}});
  const auto d = diff_reports(a_with_torch, b);
  REQUIRE(d.differences.size() == 2);
  CHECK(d.differences[0].category == DiffCategory::kOther);
  CHECK(d.differences[0].why == "reported on one side only");
  CHECK(d.mattering() == 0);
  // Both sides report the section: a real difference.
  auto c = inspect({{"cpu.usable_threads", "4"}, {"torch.intra_op_threads", "4"}, {"torch.available", "true"}});
  c.sections.push_back("torch");
  const auto e = diff_reports(a_with_torch, c);
  REQUIRE(e.differences.size() == 1);
  CHECK(e.differences[0].category == DiffCategory::kThreads);
}
