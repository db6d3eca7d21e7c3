#include "advise/findings.h"

#include <algorithm>

#include <fmt/format.h>

#include "advise/capacity_rules.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

std::optional<int> positive_int(const std::map<std::string, std::string>& vars,
                                const std::string& name) {
  const auto it = vars.find(name);
  return it == vars.end() ? std::nullopt : parse_thread_count(it->second);
}

Finding make(std::string id, Severity s, std::string message, std::string fix, std::string subject = "") {
  return Finding{std::move(id), s, std::move(message), std::move(fix), std::move(subject)};
}

void check_env_values(const InspectReport& r, std::vector<Finding>& out) {
  const int usable = r.capacity.usable_threads;
  for (const char* name : {"OMP_NUM_THREADS", "MKL_NUM_THREADS"}) {
    const auto it = r.env.vars.find(name);
    if (it == r.env.vars.end()) continue;
    const auto v = positive_int(r.env.vars, name);
    if (!v) {
      out.push_back(make("env-threads-invalid", Severity::kWarning,
                         fmt::format("{}='{}' is not a positive integer; runtimes ignore it or "
                                     "fall back to their defaults",
                                     name, it->second),
                         fmt::format("export {}={}", name, usable), name));
      continue;
    }
    if (*v <= usable) continue;
    const auto sev = *v >= 2 * usable ? Severity::kCritical : Severity::kWarning;
    out.push_back(make("env-threads-exceed-usable", sev,
                       fmt::format("{}={} exceeds the {} usable thread(s) ({}); the extra threads "
                                   "wait for CPU time and stall OpenMP barriers",
                                   name, *v, usable, r.capacity.limited_by),
                       fmt::format("export {}={}", name, usable), name));
  }
}

void check_env_agreement(const InspectReport& r, std::vector<Finding>& out) {
  const auto omp = positive_int(r.env.vars, "OMP_NUM_THREADS");
  const auto mkl = positive_int(r.env.vars, "MKL_NUM_THREADS");
  if (omp && mkl && *omp != *mkl) {
    out.push_back(make("mkl-omp-disagree", Severity::kWarning,
                       fmt::format("MKL_NUM_THREADS={} and OMP_NUM_THREADS={} disagree; LibTorch "
                                   "sizes its intra-op pool from MKL_NUM_THREADS ({})",
                                   *mkl, *omp, *mkl),
                       fmt::format("set both to the same value, e.g. {}", r.capacity.usable_threads)));
  }
  const bool any = omp || mkl;
  // Only a quota below the CPUs in the mask limits anything: a 64-CPU quota on 8 CPUs does not.
  const bool quota_binds = r.cgroup.quota_cpus && *r.cgroup.quota_cpus < affinity_count(r.cpu, r.cgroup);
  if (quota_binds && !any) {
    out.push_back(make("quota-without-thread-env", Severity::kWarning,
                       fmt::format("a CPU quota of {:.2f} CPUs is set ({}) but no thread-count "
                                   "variable is; LibTorch does not read cgroup quotas and sizes "
                                   "its pool from the host's cores",
                                   *r.cgroup.quota_cpus, r.cgroup.quota_source),
                       fmt::format("export OMP_NUM_THREADS={0} MKL_NUM_THREADS={0}",
                                   r.capacity.usable_threads)));
  }
}

void check_throttling(const InspectReport& r, std::vector<Finding>& out) {
  if (!r.cgroup.cpu_stat.ok()) return;
  const auto& st = *r.cgroup.cpu_stat.value;
  if (st.nr_throttled <= 0) return;
  const double share = st.throttled_fraction();
  const auto sev = share >= 0.2 ? Severity::kWarning : Severity::kInfo;
  out.push_back(make("cfs-throttled", sev,
                     fmt::format("this cgroup was throttled in {} of {} CFS periods ({:.1f}%), "
                                 "{:.2f} s in total ({})",
                                 st.nr_throttled, st.nr_periods, 100.0 * share, st.throttled_s,
                                 r.cgroup.cpu_stat.path),
                     fmt::format("run at most {} busy thread(s) in this cgroup, or raise the quota",
                                 r.capacity.usable_threads)));
}

/// The intra-op threads this process will run with: the torch view when known, else env.
std::optional<int> effective_threads(const InspectReport& r) {
  if (r.torch && r.torch->available && r.torch->intra_op_threads > 0) {
    return r.torch->intra_op_threads;
  }
  return env_intra_op_threads(r.env.vars);
}

void check_smt(const InspectReport& r, std::vector<Finding>& out) {
  const auto& c = r.cpu;
  if (!c.threads_per_core.ok() || *c.threads_per_core.value < 2 || !c.physical_cores.ok()) return;
  const auto threads = effective_threads(r);
  const int cores = *c.physical_cores.value;
  if (!threads || *threads <= cores) return;
  out.push_back(make("smt-oversubscribed", Severity::kWarning,
                     fmt::format("{} intra-op threads on {} physical cores: SMT siblings share "
                                 "one core's execution units, compute-bound kernels gain little",
                                 *threads, cores),
                     fmt::format("export OMP_NUM_THREADS={}", std::min(cores, r.capacity.usable_threads))));
}

void check_torch(const InspectReport& r, const DiagnoseOptions& o, std::vector<Finding>& out) {
  if (!r.torch || !r.torch->available) return;
  const auto& t = *r.torch;
  const int usable = r.capacity.usable_threads;
  const int engines = std::max(1, o.engine_threads);
  const int total = t.intra_op_threads * engines;
  if (total > usable) {
    const auto sev = total >= 2 * usable ? Severity::kCritical : Severity::kWarning;
    out.push_back(make("oversubscription", sev,
                       fmt::format("LibTorch will run {} intra-op thread(s){} = {} on {} usable "
                                   "thread(s) ({})",
                                   t.intra_op_threads,
                                   engines > 1 ? fmt::format(" x {} engine threads", engines) : "",
                                   total, usable, r.capacity.limited_by),
                       fmt::format("export OMP_NUM_THREADS={0} MKL_NUM_THREADS={0}",
                                   std::max(1, usable / engines))));
  } else if (total < usable && !env_intra_op_threads(r.env.vars)) {
    out.push_back(make("undersubscription", Severity::kWarning,
                       fmt::format("LibTorch will use {} intra-op thread(s) but {} are usable",
                                   total, usable),
                       fmt::format("export OMP_NUM_THREADS={0} MKL_NUM_THREADS={0}",
                                   std::max(1, usable / engines))));
  }
  if (t.blas_is_reference) {
    out.push_back(make("reference-blas", Severity::kWarning,
                       fmt::format("the unoptimised reference BLAS is loaded ({}); matrix "
                                   "products run single-threaded and several times slower",
                                   t.blas),
                       "apt-get install libopenblas0-pthread (or use a LibTorch build with MKL)"));
  }
  std::vector<std::string> omp;
  for (const auto& p : t.threadpools) {
    if (p.api == PoolApi::kOpenmp) omp.push_back(p.path);
  }
  if (omp.size() > 1) {
    out.push_back(make("multiple-openmp-runtimes", Severity::kCritical,
                       "more than one OpenMP runtime is loaded: " + join(omp, ", ") +
                           "; each sizes its own pool, which oversubscribes and can crash",
                       "make every library use one runtime (e.g. preload one, or rebuild)"));
  }
}

void check_cgroup_warnings(const InspectReport& r, std::vector<Finding>& out) {
  for (const auto& w : r.cgroup.warnings) {
    out.push_back(make("cgroup-read-problem", Severity::kInfo, w,
                       "check the cgroup mount; limits from this file are not applied", w));
  }
}

/// SSBD (or an indirect-branch mitigation) forced on by the kernel for every thread,
/// which seccomp filters trigger where spec_store_bypass_disable=seccomp applies.
void check_speculation(const InspectReport& r, std::vector<Finding>& out) {
  if (!r.node) return;
  const auto& n = *r.node;
  const auto forced = [](const Fact<std::string>& f, std::string_view word) {
    return f.ok() && f.value->find(word) != std::string::npos;
  };
  const bool ssb = forced(n.speculation_store_bypass, "force mitigated");
  const bool ib = forced(n.speculation_indirect_branch, "force disabled");
  if (!ssb && !ib) return;
  std::vector<std::string> lines;
  if (ssb) lines.push_back("Speculation_Store_Bypass: " + *n.speculation_store_bypass.value);
  if (ib) lines.push_back("SpeculationIndirectBranch: " + *n.speculation_indirect_branch.value);
  const bool seccomp = n.seccomp_mode.ok() && *n.seccomp_mode.value == 2;
  const std::string kernel = n.kernel_release.ok() ? "kernel " + *n.kernel_release.value : "this kernel";
  std::string cause =
      seccomp ? fmt::format("the process runs under a seccomp filter, and {} forces the mitigation on every seccomp-"
                            "filtered thread (spec_store_bypass_disable=seccomp / spectre_v2_user=seccomp, the "
                            "default before Linux 5.16)", kernel)
              : "the process (or a parent) forced it with prctl(PR_SET_SPECULATION_CTRL)";
  out.push_back(make(
      "speculation-mitigation-forced", Severity::kWarning,
      fmt::format("a speculation mitigation is forced on for every thread ({}): {}; memory-bound code such as "
                  "index_select and embedding lookups can run markedly slower",
                  join(lines, ", "), cause),
      seccomp ? "boot the node with spec_store_bypass_disable=prctl spectre_v2_user=prctl (the default since 5.16), "
                "or run the container with a seccomp profile whose \"flags\" include "
                "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"; weigh the security trade-off first"
              : "find what calls prctl(PR_SET_SPECULATION_CTRL, ..., PR_SPEC_FORCE_DISABLE) and drop it if the "
                "isolation is not needed"));
}

}  // namespace

std::optional<int> parse_thread_count(std::string_view value) {
  const auto v = parse_int(trim(value));
  if (!v || *v <= 0 || *v > 1000000) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<int> env_intra_op_threads(const std::map<std::string, std::string>& vars) {
  if (const auto mkl = positive_int(vars, "MKL_NUM_THREADS")) return mkl;
  return positive_int(vars, "OMP_NUM_THREADS");
}

std::vector<Finding> diagnose(const InspectReport& report, const DiagnoseOptions& options) {
  std::vector<Finding> out;
  check_env_values(report, out);
  check_env_agreement(report, out);
  check_throttling(report, out);
  check_smt(report, out);
  check_torch(report, options, out);
  check_cgroup_warnings(report, out);
  check_speculation(report, out);
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return static_cast<int>(a.severity) > static_cast<int>(b.severity);
  });
  return out;
}

}  // namespace torchdiag
