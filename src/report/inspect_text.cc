#include "report/inspect_text.h"

#include <fmt/format.h>

#include "report/findings_render.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

void line(std::string& out, std::string_view label, const std::string& value) {
  out += fmt::format("  {:<22} {}\n", label, value);
}

template <class T>
std::string show(const Fact<T>& f) {
  if (!f.ok()) return f.why();
  if constexpr (std::is_same_v<T, CpuSet>) {
    return fmt::format("{} ({})", f.value->size(), format_cpu_list(*f.value));
  } else {
    return fmt::format("{}", *f.value);
  }
}

void cpu_section(const InspectReport& r, std::string& out) {
  const auto& c = r.cpu;
  out += "CPUs\n";
  line(out, "online", show(c.online));
  line(out, "affinity", show(c.affinity));
  line(out, "physical cores", show(c.physical_cores));
  line(out, "threads per core", show(c.threads_per_core));
  line(out, "sockets", show(c.sockets));
  line(out, "NUMA nodes", show(c.numa_nodes));
}

void cgroup_section(const CgroupFacts& g, std::string& out) {
  out += "cgroup\n";
  std::vector<std::string> mounted;
  for (int v : g.mounted_versions) mounted.push_back("v" + std::to_string(v));
  line(out, "version", g.version ? fmt::format("v{} (mounted: {})", *g.version,
                                               mounted.empty() ? "none" : join(mounted, ", "))
                                 : "none found (no cpu controller)");
  if (!g.path.empty()) line(out, "path", g.path + "  ->  " + g.dir);
  line(out, "CPU quota",
       g.quota_cpus ? fmt::format("{:.2f} CPUs ({} / {} us, {})", *g.quota_cpus, g.quota_us,
                                  g.period_us, g.quota_source)
                    : std::string("none"));
  line(out, "cpuset", g.cpuset.ok() ? fmt::format("{} ({})", format_cpu_list(*g.cpuset.value),
                                                  g.cpuset.path)
                                    : g.cpuset.why());
  line(out, g.weight_kind.empty() ? "weight" : g.weight_kind,
       g.weight.ok() ? fmt::format("{} (a relative request, not a limit)", *g.weight.value)
                     : g.weight.why());
  if (g.cpu_stat.ok()) {
    const auto& s = *g.cpu_stat.value;
    line(out, "throttled", fmt::format("{} of {} periods ({:.1f}%), {:.3f} s", s.nr_throttled,
                                       s.nr_periods, 100.0 * s.throttled_fraction(), s.throttled_s));
  } else {
    line(out, "throttled", g.cpu_stat.why());
  }
  if (g.pressure.ok()) {
    const auto& p = *g.pressure.value;
    line(out, "CPU pressure", fmt::format("some avg10={:.2f}% avg60={:.2f}% avg300={:.2f}% ({}, {})",
                                          p.some_avg10, p.some_avg60, p.some_avg300, g.pressure_scope,
                                          g.pressure.path));
  }
  for (const auto& w : g.warnings) line(out, "warning", w);
}

void capacity_section(const InspectReport& r, std::string& out) {
  out += "Capacity\n";
  line(out, "allowed CPUs", std::to_string(r.capacity.allowed_cpus));
  line(out, "usable threads",
       fmt::format("{} (limited by {})", r.capacity.usable_threads, r.capacity.limited_by));
}

void env_section(const EnvFacts& e, std::string& out) {
  out += "Environment\n";
  if (!e.error.empty()) line(out, "unavailable", e.error + " (" + e.source + ")");
  if (e.vars.empty() && e.error.empty()) line(out, "(none set)", "");
  for (const auto& [k, v] : e.vars) line(out, k, v);
}

std::string pools_text(const std::vector<ThreadPoolLib>& pools) {
  std::vector<std::string> parts;
  for (const auto& p : pools) {
    parts.push_back(fmt::format("{} [{}] {}", p.library,
                                p.threads ? std::to_string(*p.threads) + " threads" : "threads ?",
                                p.path));
  }
  return parts.empty() ? "none" : join(parts, "\n" + std::string(25, ' '));
}

void torch_section(const TorchFacts& t, bool verbose, std::string& out) {
  out += "LibTorch (torchdiag-worker)\n";
  if (!t.available) {
    line(out, "unavailable", t.reason);
    return;
  }
  line(out, "version", t.version);
  line(out, "parallel backend", t.backend);
  line(out, "intra-op threads", std::to_string(t.intra_op_threads));
  line(out, "inter-op threads", std::to_string(t.interop_threads));
  line(out, "OpenMP runtime", t.openmp_runtime.empty() ? "none" : t.openmp_runtime);
  if (t.omp_max_threads) line(out, "omp_get_max_threads", std::to_string(*t.omp_max_threads));
  line(out, "MKL / oneDNN", fmt::format("{} / {}", t.mkl ? "yes" : "no", t.mkldnn ? "yes" : "no"));
  line(out, "BLAS", (t.blas.empty() ? "none loaded" : t.blas) +
                        (t.blas_is_reference ? "  (reference BLAS: unoptimised)" : ""));
  line(out, "thread pools", pools_text(t.threadpools));
  line(out, "allocator", t.allocator);
  line(out, "jemalloc to preload", t.jemalloc_path.empty() ? "not installed" : t.jemalloc_path);
  line(out, "worker start", fmt::format("{:.3f} s", t.worker_start_s));
  if (verbose) out += "\n" + t.parallel_info + "\n" + t.config + "\n";
}

void process_section(const ProcessFacts& p, std::string& out) {
  out += fmt::format("Process {} ({})\n", p.pid, p.comm);
  line(out, "threads", std::to_string(p.thread_count));
  line(out, "thread pools", pools_text(p.threadpools));
  line(out, "allocator", p.allocator.empty() ? "unknown" : p.allocator);
  long long vol = 0, invol = 0;
  for (const auto& t : p.threads) {
    vol += t.voluntary_switches;
    invol += t.involuntary_switches;
  }
  line(out, "context switches", fmt::format("{} voluntary, {} involuntary (all threads)", vol, invol));
  if (!p.error.empty()) line(out, "warning", p.error);
}

void profiling_section(const PerfCapability& p, std::string& out) {
  const auto show_int = [](const std::optional<int>& v) { return v ? std::to_string(*v) : std::string("unknown"); };
  const auto show_bool = [](const std::optional<bool>& v) { return v ? (*v ? "yes" : "no") : "unknown"; };
  const char* seccomp[] = {"off", "strict", "filter"};
  out += "Profiling capability\n";
  line(out, "perf_event_paranoid", show_int(p.paranoid));
  line(out, "seccomp", p.seccomp_mode && *p.seccomp_mode >= 0 && *p.seccomp_mode <= 2
                           ? seccomp[*p.seccomp_mode] : show_int(p.seccomp_mode));
  line(out, "CAP_PERFMON/SYS_ADMIN", fmt::format("{} / {}", show_bool(p.cap_perfmon), show_bool(p.cap_sys_admin)));
  line(out, "software events", p.software_events ? "work" + (p.software_reason.empty() ? "" : " (" + p.software_reason + ")")
                                                 : "unavailable: " + p.software_reason);
  line(out, "hardware events", p.hardware_events ? "work" + (p.hardware_reason.empty() ? "" : " (" + p.hardware_reason + ")")
                                                 : "unavailable: " + p.hardware_reason);
}

std::string khz_range(const std::optional<long long>& lo, const std::optional<long long>& hi) {
  const auto mhz = [](const std::optional<long long>& v) { return v ? fmt::format("{}", *v / 1000) : std::string("?"); };
  return fmt::format("{}-{} MHz", mhz(lo), mhz(hi));
}

std::string frequency_text(const Fact<std::vector<CpuFrequency>>& f) {
  if (!f.ok()) return f.why();
  std::vector<std::string> parts;
  for (const auto& g : group_frequencies(*f.value)) {
    std::string part = fmt::format("CPUs {}: {}, {}, {}", format_cpu_list(g.cpus),
                                   g.governor.empty() ? "governor ?" : g.governor, g.driver.empty() ? "driver ?" : g.driver,
                                   khz_range(g.min_khz, g.max_khz));
    if (g.cur_khz_min) part += ", now " + khz_range(g.cur_khz_min, g.cur_khz_max);
    parts.push_back(part);
  }
  return parts.empty() ? "no CPUs" : join(parts, "\n" + std::string(25, ' '));
}

/// "12 listed: 3 vulnerable, 7 mitigated, 2 not affected".
std::string vulnerabilities_summary(const std::map<std::string, std::string>& v) {
  int vulnerable = 0, mitigated = 0, unaffected = 0, other = 0;
  for (const auto& [name, state] : v) {
    if (starts_with(state, "Vulnerable")) ++vulnerable;
    else if (starts_with(state, "Mitigation")) ++mitigated;
    else if (starts_with(state, "Not affected")) ++unaffected;
    else ++other;
  }
  std::string out = fmt::format("{} listed: {} vulnerable, {} mitigated, {} not affected", v.size(), vulnerable,
                                mitigated, unaffected);
  return other ? out + fmt::format(", {} other", other) : out;
}

void node_section(const NodeFacts& n, const EnvFacts& env, bool verbose, std::string& out) {
  const auto list = [](const Fact<std::vector<std::string>>& f, const char* none) {
    return !f.ok() ? f.why() : f.value->empty() ? std::string(none) : join(*f.value, " ");
  };
  out += "Node\n";
  line(out, "kernel", n.kernel_release.ok() ? *n.kernel_release.value : n.kernel_release.why());
  if (verbose) line(out, "kernel build", show(n.kernel_version));
  line(out, "boot flags", list(n.boot_flags, "none that change scheduling or mitigations"));
  line(out, "OS (this container)", show(n.os));
  line(out, "CPU model", show(n.cpu_model));
  line(out, "CPU", n.cpu_vendor.ok() || n.cpu_family_model.ok()
                       ? fmt::format("{} {}, microcode {}", n.cpu_vendor.value.value_or("?"),
                                     n.cpu_family_model.value.value_or(""), n.microcode.value.value_or("?"))
                       : n.cpu_vendor.why());
  line(out, "CPU flags", list(n.cpu_flags, "none of the vector or mitigation flags checked"));
  line(out, "hypervisor", show(n.hypervisor));
  line(out, "frequency", frequency_text(n.frequency));
  if (n.pstate.ok()) line(out, "pstate driver", *n.pstate.value);
  line(out, "SMT control", show(n.smt_control));
  if (!n.vulnerabilities.ok()) {
    line(out, "vulnerabilities", n.vulnerabilities.why());
  } else {
    line(out, "vulnerabilities", vulnerabilities_summary(*n.vulnerabilities.value) + (verbose ? "" : " (-v lists them)"));
    if (verbose) {
      for (const auto& [name, state] : *n.vulnerabilities.value) line(out, "  " + name, state);
    }
  }
  line(out, "spec. store bypass", show(n.speculation_store_bypass));
  line(out, "indirect branch spec.", show(n.speculation_indirect_branch));
  const char* seccomp[] = {"off", "strict", "filter"};
  line(out, "seccomp", n.seccomp_mode.ok() && *n.seccomp_mode.value >= 0 && *n.seccomp_mode.value <= 2
                           ? fmt::format("{} ({})", seccomp[*n.seccomp_mode.value], *n.seccomp_mode.value)
                           : show(n.seccomp_mode));
  const auto& c = n.container;
  line(out, "container runtime", (c.runtime.empty() ? std::string("none detected") : c.runtime) +
                                     (c.hints.empty() ? "" : " (" + join(c.hints, "; ") + ")"));
  if (!c.kube_qos.empty() || !c.pod_uid.empty()) {
    line(out, "Kubernetes pod", fmt::format("QoS {}, UID {}", c.kube_qos.empty() ? "?" : c.kube_qos,
                                            c.pod_uid.empty() ? "?" : c.pod_uid));
  }
  line(out, "cgroup namespace", c.cgroup_namespace.ok() ? (*c.cgroup_namespace.value ? "yes" : "no")
                                                        : c.cgroup_namespace.why());
  for (const auto& [k, v] : env.pod) line(out, k, v);
  line(out, "transparent hugepages",
       fmt::format("enabled {}, defrag {}", n.thp_enabled.ok() ? *n.thp_enabled.value : n.thp_enabled.why(),
                   n.thp_defrag.ok() ? *n.thp_defrag.value : n.thp_defrag.why()));
  if (n.sched_tunables.empty()) {
    line(out, "sched tunables", "none exposed");
  } else {
    std::vector<std::string> parts;
    for (const auto& [k, v] : n.sched_tunables) parts.push_back(k + "=" + v);
    line(out, "sched tunables", join(parts, " "));
  }
}

}  // namespace

std::string inspect_to_text(const InspectReport& r, bool verbose) {
  std::string out;
  if (r.root != "/") out += "Snapshot root: " + r.root + "\n";
  if (r.process) process_section(*r.process, out);
  cpu_section(r, out);
  cgroup_section(r.cgroup, out);
  capacity_section(r, out);
  env_section(r.env, out);
  if (r.node) node_section(*r.node, r.env, verbose, out);
  if (r.torch) torch_section(*r.torch, verbose, out);
  if (r.profiling) profiling_section(*r.profiling, out);
  append_findings_text(r.findings, "thread settings fit this container", out);
  return out;
}

}  // namespace torchdiag
