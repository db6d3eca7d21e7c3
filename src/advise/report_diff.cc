#include "advise/report_diff.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <iterator>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "advise/significance.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

struct Rule {
  const char* pattern;  ///< a path with array names as "[]"; a trailing '*' matches any rest
  DiffCategory category;
  const char* why;
};

// The same knowledge the findings use, one line per fact. First match wins. Facts that
// only restate another (the CPU list beside its count, the quota in microseconds beside
// the quota in CPUs, the kernel's build string) are left to "other".
constexpr DiffCategory kCap = DiffCategory::kCapacity, kThr = DiffCategory::kThreads,
                       kSec = DiffCategory::kSecurity, kCpu = DiffCategory::kCpu, kKer = DiffCategory::kKernel;
const Rule kRules[] = {
    // Capacity: how many threads can run at once.
    {"cpu.usable_threads", kCap, "the threads that can run at once; more compute threads than this wait or get throttled"},
    {"cpu.usable_limited_by", kCap, "what caps the usable threads (quota, affinity or physical cores)"},
    {"cpu.allowed_cpus", kCap, "the CPUs' worth of time the process may use"},
    {"cpu.quota_cpus", kCap, "a CFS quota stops every thread of the cgroup for the rest of the period once used up"},
    {"cgroup.period_us", kCap, "the CFS period: a long one makes a throttled call wait longer"},
    {"cpu.affinity", kCap, "the CPUs the scheduler may run the threads on"},
    {"cgroup.cpuset*", kCap, "the cpuset the threads are confined to"},
    {"cpu.online", kCap, "LibTorch and OpenMP size their pools from the CPUs they see, not from the quota"},
    {"cpu.physical_cores", kCap, "compute-bound threads scale with physical cores, not SMT siblings"},
    {"cpu.threads_per_core", kCap, "SMT siblings share a core's vector units: GEMM threads gain little from them"},
    {"node.cpu.smt_control", kCap, "whether SMT siblings exist at all"},
    {"cpu.sockets", kCap, "threads spread over sockets pay remote-memory latency"},
    {"cpu.numa_nodes", kCap, "threads spread over NUMA nodes pay remote-memory latency"},
    {"cpu.cgroup_version", kCap, "which cgroup hierarchy sets the limits"},
    {"processes[].usable_threads", kCap, "the threads that can run at once for this process"},
    {"processes[].usable_limited_by", kCap, "what caps the usable threads (quota, affinity or physical cores)"},
    {"processes[].quota_cpus", kCap, "a CFS quota stops every thread of the cgroup once used up"},
    {"processes[].affinity_cpus", kCap, "the CPUs the scheduler may run the threads on"},
    {"cgroups[].usable_threads", kCap, "the threads that can run at once for this cgroup"},
    // Threads: what LibTorch and OpenMP will really use, and the env that sets it.
    {"env.OMP_NUM_THREADS", kThr, "sets LibTorch's intra-op pool; unset, it follows the CPUs seen, not the quota"},
    {"env.MKL_NUM_THREADS", kThr, "sets MKL's threads; unset, it follows the CPUs seen"},
    {"env.*", kThr, "an environment variable that changes a thread pool or the allocator"},
    {"torch.intra_op_threads", kThr, "the intra-op threads every parallel operator uses"},
    {"torch.interop_threads", kThr, "the inter-op pool that runs forked and async work"},
    {"torch.omp_max_threads", kThr, "OpenMP's pool size"},
    {"torch.openmp_runtime", kThr, "which OpenMP runtime runs the pool (spin and wake-up behaviour differ)"},
    {"torch.threadpools*", kThr, "the thread-pool libraries loaded; two OpenMP runtimes oversubscribe the CPUs"},
    {"torch.version", kThr, "a different LibTorch: kernels, defaults and pool sizing change between versions"},
    {"torch_version", kThr, "a different LibTorch: kernels, defaults and pool sizing change between versions"},
    {"torch.available", kThr, "whether LibTorch could be asked how it sizes its pools"},
    {"process.threadpools*", kThr, "the thread-pool libraries loaded in the process"},
    {"processes[].env.*", kThr, "an environment variable that sizes this process's thread pools"},
    {"processes[].pool_threads", kThr, "the compute threads this process runs"},
    {"processes[].pools*", kThr, "the compute threads this process runs"},
    {"processes[].threadpool_libraries*", kThr, "the thread-pool libraries loaded; two OpenMP runtimes oversubscribe the CPUs"},
    {"processes[].verdict", kThr, "whether the process runs more compute threads than it can use"},
    {"processes[].oversubscription_ratio", kThr, "runnable threads per usable thread"},
    {"cgroups[].pool_threads", kThr, "the compute threads the cgroup's processes run"},
    {"cgroups[].verdict", kThr, "whether the cgroup runs more compute threads than it can use"},
    {"cgroups[].oversubscription_ratio", kThr, "runnable threads per usable thread"},
    // Speculation and seccomp.
    {"node.process.speculation_store_bypass", kSec,
     "'thread force mitigated' (seccomp with spec_store_bypass_disable=seccomp, the default before Linux 5.16) slows memory-bound code on every thread"},
    {"node.process.speculation_indirect_branch", kSec, "a forced indirect-branch mitigation slows code with many indirect calls (the dispatcher)"},
    {"node.process.seccomp_mode", kSec, "a seccomp filter can force SSBD on every thread (kernels before 5.16) and blocks perf_event_open"},
    {"profiling.seccomp_mode", kSec, "a seccomp filter can force SSBD on every thread (kernels before 5.16) and blocks perf_event_open"},
    {"node.kernel.boot_flags", kSec, "boot flags choose mitigations (mitigations=, spec_store_bypass_disable=) and isolate CPUs (isolcpus=, nohz_full=)"},
    {"node.vulnerabilities.*", kSec, "a different mitigation is in effect; some cost on every kernel entry or context switch"},
    // CPU model and frequency policy.
    {"node.cpu.model", kCpu, "a different CPU: vector width, cache sizes and clock change kernel speed"},
    {"node.cpu.vendor", kCpu, "a different CPU vendor: MKL and oneDNN pick different code paths"},
    {"node.cpu.family_model", kCpu, "a different CPU generation"},
    {"node.cpu.microcode", kCpu, "microcode updates change mitigation costs"},
    {"node.cpu.flags", kCpu, "vector extensions (AVX2, AVX-512, AMX) decide which kernels oneDNN and MKL run"},
    {"node.cpu.hypervisor", kCpu, "a guest shares physical cores with other guests (steal time, no cpufreq control)"},
    {"node.cpu.pstate", kCpu, "the frequency driver's mode changes how fast clocks ramp up"},
    {"node.cpu.frequency[].governor", kCpu, "powersave or ondemand governors ramp slowly and lengthen short calls"},
    {"node.cpu.frequency[].driver", kCpu, "the frequency driver changes how fast clocks ramp up"},
    {"node.cpu.frequency[].max_khz", kCpu, "a lower frequency ceiling"},
    {"node.cpu.frequency[].min_khz", kCpu, "a lower frequency floor ramps short calls more slowly"},
    {"governor", kCpu, "powersave or ondemand governors ramp slowly and lengthen short calls"},
    // Kernel and runtime.
    {"node.kernel.release", kKer, "a different kernel: scheduler, cgroup and mitigation defaults change (SSBD under seccomp before 5.16)"},
    {"node.os", kKer, "a different OS image: another glibc, OpenMP or BLAS may be loaded"},
    {"node.container.runtime", kKer, "a different container runtime: cgroup layout, seccomp profile and limits differ"},
    {"node.container.kube_qos", kKer, "the pod's QoS class: only Guaranteed pods can get exclusive CPUs"},
    {"node.container.cgroup_namespace", kKer, "whether the container sees its own cgroup as the root"},
    {"node.thp.*", kKer, "transparent huge pages change allocation cost and RSS of large tensors"},
    {"node.sched.*", kKer, "a scheduler tunable that changes how threads are placed and preempted"},
    {"cgroup.version", kKer, "which cgroup hierarchy owns the cpu controller"},
    {"cgroup.mounted_versions", kKer, "which cgroup hierarchies are mounted"},
    {"torch.blas*", kKer, "a different BLAS library"},
    {"torch.mkl*", kKer, "whether MKL and oneDNN kernels are available"},
    {"torch.allocator", kKer, "a different allocator changes allocation cost and memory"},
};

/// The path as the rules spell it: array names as "[]", bench's "context." dropped.
std::string rule_pattern(const std::string& path) {
  std::string out;
  out.reserve(path.size());
  int depth = 0;
  for (const char c : path) {
    if (c == '[') {
      if (depth++ == 0) out += "[]";
    } else if (c == ']') {
      depth = std::max(depth - 1, 0);
    } else if (depth == 0) {
      out += c;
    }
  }
  return starts_with(out, "context.") ? out.substr(8) : out;
}

bool matches(std::string_view pattern, std::string_view path) {
  if (!pattern.empty() && pattern.back() == '*') return starts_with(path, pattern.substr(0, pattern.size() - 1));
  return pattern == path;
}

/// A finding's identity across nodes: its id and subject, except subjects that name
/// this node's objects (a pid, a cgroup path).
std::string finding_key(const Finding& f) {
  if (f.subject.empty() || starts_with(f.subject, "pid ") || starts_with(f.subject, "cgroup ")) return f.id;
  return f.id + " (" + f.subject + ")";
}

/// The fact differences with their rule's place, so they can be ranked.
using Ranked = std::vector<std::pair<size_t, FactDifference>>;

/// The section a fact belongs to: its first component ("torch", "node"), or its first
/// two in a bench report's context ("context.torch").
std::string section_of(const std::string& path) {
  const size_t skip = starts_with(path, "context.") ? 8 : 0;
  const size_t end = path.find_first_of(".[", skip);
  return path.substr(0, end);
}

void diff_facts(const ComparableReport& a, const ComparableReport& b, Ranked& out) {
  const std::map<std::string, std::string> b_facts(b.facts.begin(), b.facts.end());
  const std::set<std::string> a_sections(a.sections.begin(), a.sections.end());
  const std::set<std::string> b_sections(b.sections.begin(), b.sections.end());
  std::set<std::string> a_paths;
  const auto add = [&](const std::string& path, const std::string& va, const std::string& vb) {
    auto rule = rule_for(path);
    // A whole section missing on one side (--no-torch, an older report) is not a
    // difference between the nodes, only in what was asked.
    const auto section = section_of(path);
    if (!a_sections.count(section) || !b_sections.count(section)) {
      rule = {DiffCategory::kOther, "reported on one side only", rule.order};
    }
    out.emplace_back(rule.order, FactDifference{rule.category, path, va, vb, std::move(rule.why)});
  };
  for (const auto& [path, value] : a.facts) {
    a_paths.insert(path);
    const auto it = b_facts.find(path);
    if (it == b_facts.end()) add(path, value, "absent");
    else if (it->second != value) add(path, value, it->second);
  }
  for (const auto& [path, value] : b.facts) {
    if (!a_paths.count(path)) add(path, "absent", value);
  }
}

/// Critical findings rank first.
size_t severity_order(const Finding& f) { return static_cast<size_t>(2 - static_cast<int>(f.severity)); }

void diff_findings(const ComparableReport& a, const ComparableReport& b, Ranked& out) {
  std::map<std::string, const Finding*> in_a, in_b;
  for (const auto& f : a.findings) in_a.emplace(finding_key(f), &f);
  for (const auto& f : b.findings) in_b.emplace(finding_key(f), &f);
  const auto side = [](const Finding* f) { return f ? fmt::format("{} ({})", f->id, to_string(f->severity)) : "absent"; };
  for (const auto& f : a.findings) {
    const auto key = finding_key(f);
    if (in_b.count(key) || in_a[key] != &f) continue;
    out.emplace_back(severity_order(f), FactDifference{DiffCategory::kFindings, "findings." + key, side(&f), "absent", f.message});
  }
  for (const auto& f : b.findings) {
    const auto key = finding_key(f);
    if (in_a.count(key) || in_b[key] != &f) continue;
    out.emplace_back(severity_order(f), FactDifference{DiffCategory::kFindings, "findings." + key, "absent", side(&f), f.message});
  }
}

std::string model_name(const std::string& label) {
  const auto slash = label.find_last_of('/');
  return slash == std::string::npos ? label : label.substr(slash + 1);
}

void diff_configs(const ComparableReport& a, const ComparableReport& b, const DiffOptions& options,
                  DiffReport& out) {
  std::map<std::string, const BenchRow*> b_rows;
  for (const auto& r : b.rows) b_rows.emplace(config_key(r), &r);
  std::set<std::string> a_keys;
  for (const auto& ra : a.rows) {
    const auto key = config_key(ra);
    if (!a_keys.insert(key).second) continue;  // a repeated configuration: the first one counts
    const auto it = b_rows.find(key);
    if (it == b_rows.end()) {
      out.only_in_a.push_back(key);
      continue;
    }
    const BenchRow& rb = *it->second;
    ConfigComparison c;
    c.key = key;
    c.a_status = ra.status;
    c.b_status = rb.status;
    c.a_samples = ra.samples_s.size();
    c.b_samples = rb.samples_s.size();
    for (const auto& w : ra.warnings) c.noise.push_back("A: " + w.message);
    for (const auto& w : rb.warnings) c.noise.push_back("B: " + w.message);
    c.a_p50_s = ra.latency.p50;
    c.b_p50_s = rb.latency.p50;
    if (ra.status == RowStatus::kOk && rb.status == RowStatus::kOk) {
      c.ratio = c.a_p50_s > 0 ? c.b_p50_s / c.a_p50_s : 0;
      if (const auto test = mann_whitney(ra.samples_s, rb.samples_s)) c.p_value = test->p_value;
      c.significant = c.p_value && *c.p_value < options.alpha;
      const bool large = c.ratio > 0 && std::abs(std::log(c.ratio)) >= std::log1p(options.min_effect);
      c.matters = large && (c.p_value ? c.significant : true);
    } else {
      c.matters = ra.status != rb.status;
    }
    out.configs.push_back(std::move(c));
  }
  for (const auto& rb : b.rows) {
    const auto key = config_key(rb);
    if (!a_keys.count(key) && std::find(out.only_in_b.begin(), out.only_in_b.end(), key) == out.only_in_b.end()) {
      out.only_in_b.push_back(key);
    }
  }
}

}  // namespace

FactRule rule_for(const std::string& path) {
  const auto pattern = rule_pattern(path);
  for (size_t i = 0; i < std::size(kRules); ++i) {
    if (matches(kRules[i].pattern, pattern)) return {kRules[i].category, kRules[i].why, i};
  }
  return {DiffCategory::kOther, "", std::size(kRules)};
}

std::string config_key(const BenchRow& row) {
  std::string key = to_string(row.spec.workload);
  if (row.spec.workload == Workload::kForward) key += " " + model_name(row.model_label.empty() ? "builtin" : row.model_label);
  return key + fmt::format(" threads={} interop={} streams={} {}", threads_label(row.spec),
                           row.spec.interop_threads ? std::to_string(*row.spec.interop_threads) : "default",
                           row.spec.streams, to_string(row.spec.allocator));
}

DiffReport diff_reports(const ComparableReport& a, const ComparableReport& b, const DiffOptions& options) {
  DiffReport out;
  out.kind = a.kind;
  out.a_source = a.source;
  out.b_source = b.source;
  out.alpha = options.alpha;
  out.min_effect = options.min_effect;
  Ranked ranked;
  diff_facts(a, b, ranked);
  diff_findings(a, b, ranked);
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) {
    return std::tie(x.second.category, x.first) < std::tie(y.second.category, y.first);
  });
  for (auto& [order, difference] : ranked) out.differences.push_back(std::move(difference));
  if (a.kind == ReportKind::kBench) {
    diff_configs(a, b, options, out);
    out.method = fmt::format(
        "two-sided Mann-Whitney U test on the per-call latencies (normal approximation, tie-corrected); "
        "significant when p < {:g}; a gap matters when significant and the p50s differ by at least {}",
        options.alpha, percent(options.min_effect));
  }
  for (const auto& w : a.warnings) out.noise.push_back("A: " + w);
  for (const auto& w : b.warnings) out.noise.push_back("B: " + w);
  return out;
}

}  // namespace torchdiag
