#include "report/inspect_json.h"

#include "report/findings_render.h"
#include "wire/codecs.h"

namespace torchdiag {
namespace {

using nlohmann::json;

template <class T, class F>
json fact_json(const Fact<T>& fact, const std::string& key, json& unavailable, F convert) {
  if (fact.ok()) return convert(*fact.value);
  unavailable[key] = {{"reason", fact.reason}, {"path", fact.path}};
  return nullptr;
}

json count(const Fact<int>& f, const std::string& key, json& unavailable) {
  return fact_json(f, key, unavailable, [](int v) { return json(v); });
}

json list_json(const Fact<CpuSet>& f, const std::string& key, json& unavailable) {
  return fact_json(f, key, unavailable, [](const CpuSet& v) { return json(format_cpu_list(v)); });
}

json cpu_json(const InspectReport& r, json& unavailable) {
  const auto& c = r.cpu;
  const auto& g = r.cgroup;
  json j;
  j["online"] = c.online.ok() ? json(c.online.value->size()) : json(nullptr);
  j["online_list"] = list_json(c.online, "online", unavailable);
  j["affinity"] = c.affinity.ok() ? json(c.affinity.value->size()) : json(nullptr);
  j["affinity_list"] = list_json(c.affinity, "affinity", unavailable);
  j["physical_cores"] = count(c.physical_cores, "physical_cores", unavailable);
  j["threads_per_core"] = count(c.threads_per_core, "threads_per_core", unavailable);
  j["sockets"] = count(c.sockets, "sockets", unavailable);
  j["numa_nodes"] = count(c.numa_nodes, "numa_nodes", unavailable);
  j["cgroup_version"] = g.version ? json(*g.version) : json(nullptr);
  j["quota_cpus"] = g.quota_cpus ? json(*g.quota_cpus) : json(nullptr);
  j["quota_source"] = g.quota_cpus ? json(g.quota_source) : json(nullptr);
  j["allowed_cpus"] = r.capacity.allowed_cpus;
  j["usable_threads"] = r.capacity.usable_threads;
  j["usable_limited_by"] = to_string(r.capacity.limited_by);
  return j;
}

json cgroup_json(const CgroupFacts& g, json& unavailable) {
  json j;
  j["version"] = g.version ? json(*g.version) : json(nullptr);
  j["mounted_versions"] = g.mounted_versions;
  j["path"] = g.path.empty() ? json(nullptr) : json(g.path);
  j["dir"] = g.dir.empty() ? json(nullptr) : json(g.dir);
  j["quota_us"] = g.quota_cpus ? json(g.quota_us) : json(nullptr);
  j["period_us"] = g.quota_cpus ? json(g.period_us) : json(nullptr);
  j["cpuset"] = list_json(g.cpuset, "cpuset", unavailable);
  j["cpuset_source"] = g.cpuset.ok() ? json(g.cpuset.path) : json(nullptr);
  j["weight"] = fact_json(g.weight, "weight", unavailable, [](long long v) { return json(v); });
  j["weight_kind"] = g.weight_kind.empty() ? json(nullptr) : json(g.weight_kind);
  j["cpu_stat"] = fact_json(g.cpu_stat, "cpu_stat", unavailable, [&](const CpuStat& s) {
    return json{{"nr_periods", s.nr_periods},
                {"nr_throttled", s.nr_throttled},
                {"throttled_s", s.throttled_s},
                {"throttled_fraction", s.throttled_fraction()},
                {"source", g.cpu_stat.path}};
  });
  j["pressure"] = fact_json(g.pressure, "pressure", unavailable, [&](const Pressure& p) {
    return json{{"some_avg10", p.some_avg10},
                {"some_avg60", p.some_avg60},
                {"some_avg300", p.some_avg300},
                {"some_total_us", p.some_total_us},
                {"source", g.pressure.path},
                {"scope", g.pressure_scope}};
  });
  j["warnings"] = g.warnings;
  return j;
}

json process_json(const ProcessFacts& p) {
  json threads = json::array();
  for (const auto& t : p.threads) {
    threads.push_back({{"tid", t.tid},
                       {"name", t.name},
                       {"voluntary_switches", t.voluntary_switches},
                       {"involuntary_switches", t.involuntary_switches}});
  }
  return {{"pid", p.pid},         {"comm", p.comm},
          {"thread_count", p.thread_count}, {"threads", threads},
          {"threadpools", wire::threadpools_to_json(p.threadpools)},
          {"allocator", p.allocator.empty() ? json(nullptr) : json(p.allocator)},
          {"error", p.error.empty() ? json(nullptr) : json(p.error)}};
}

json text_fact(const Fact<std::string>& f, const std::string& key, json& unavailable) {
  return fact_json(f, key, unavailable, [](const std::string& v) { return json(v); });
}

json text_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json opt_khz(const std::optional<long long>& v) { return v ? json(*v) : json(nullptr); }

json node_json(const NodeFacts& n, const EnvFacts& env, json& unavailable) {
  const auto strings = [](const std::vector<std::string>& v) { return json(v); };
  json frequency = fact_json(n.frequency, "node.cpu.frequency", unavailable, [](const std::vector<CpuFrequency>& cpus) {
    json groups = json::array();
    for (const auto& g : group_frequencies(cpus)) {
      groups.push_back({{"cpus", format_cpu_list(g.cpus)}, {"governor", text_or_null(g.governor)},
                        {"driver", text_or_null(g.driver)}, {"min_khz", opt_khz(g.min_khz)},
                        {"max_khz", opt_khz(g.max_khz)}, {"cur_khz_min", opt_khz(g.cur_khz_min)},
                        {"cur_khz_max", opt_khz(g.cur_khz_max)}});
    }
    return groups;
  });
  const auto& c = n.container;
  return {
      {"kernel",
       {{"release", text_fact(n.kernel_release, "node.kernel.release", unavailable)},
        {"version", text_fact(n.kernel_version, "node.kernel.version", unavailable)},
        {"boot_flags", fact_json(n.boot_flags, "node.kernel.boot_flags", unavailable, strings)}}},
      {"os", text_fact(n.os, "node.os", unavailable)},
      {"cpu",
       {{"model", text_fact(n.cpu_model, "node.cpu.model", unavailable)},
        {"vendor", text_fact(n.cpu_vendor, "node.cpu.vendor", unavailable)},
        {"family_model", text_fact(n.cpu_family_model, "node.cpu.family_model", unavailable)},
        {"microcode", text_fact(n.microcode, "node.cpu.microcode", unavailable)},
        {"flags", fact_json(n.cpu_flags, "node.cpu.flags", unavailable, strings)},
        {"hypervisor", text_fact(n.hypervisor, "node.cpu.hypervisor", unavailable)},
        {"frequency", frequency},
        {"pstate", text_fact(n.pstate, "node.cpu.pstate", unavailable)},
        {"smt_control", text_fact(n.smt_control, "node.cpu.smt_control", unavailable)}}},
      {"vulnerabilities", fact_json(n.vulnerabilities, "node.vulnerabilities", unavailable,
                                    [](const std::map<std::string, std::string>& v) { return json(v); })},
      {"process",
       {{"speculation_store_bypass", text_fact(n.speculation_store_bypass, "node.process.speculation_store_bypass", unavailable)},
        {"speculation_indirect_branch",
         text_fact(n.speculation_indirect_branch, "node.process.speculation_indirect_branch", unavailable)},
        {"seccomp_mode", count(n.seccomp_mode, "node.process.seccomp_mode", unavailable)}}},
      {"container",
       {{"runtime", text_or_null(c.runtime)},
        {"hints", c.hints},
        {"kube_qos", text_or_null(c.kube_qos)},
        {"pod_uid", text_or_null(c.pod_uid)},
        {"cgroup_namespace", fact_json(c.cgroup_namespace, "node.container.cgroup_namespace", unavailable,
                                       [](bool v) { return json(v); })},
        {"downward_api", env.pod}}},
      {"thp",
       {{"enabled", text_fact(n.thp_enabled, "node.thp.enabled", unavailable)},
        {"defrag", text_fact(n.thp_defrag, "node.thp.defrag", unavailable)}}},
      {"sched", n.sched_tunables}};
}

}  // namespace

json inspect_to_json(const InspectReport& r) {
  json unavailable = json::object();
  json j;
  j["schema"] = kInspectSchema;
  j["root"] = r.root;
  j["pid"] = r.pid ? json(*r.pid) : json(nullptr);
  j["cpu"] = cpu_json(r, unavailable);
  j["cgroup"] = cgroup_json(r.cgroup, unavailable);
  j["env"] = r.env.vars;
  j["env_source"] = r.env.source;
  if (!r.env.error.empty()) unavailable["env"] = {{"reason", r.env.error}, {"path", r.env.source}};
  if (r.node) j["node"] = node_json(*r.node, r.env, unavailable);
  if (r.torch) j["torch"] = wire::torch_facts_to_json(*r.torch);
  if (r.process) j["process"] = process_json(*r.process);
  if (r.profiling) {
    const auto& p = *r.profiling;
    const auto opt_int = [](const std::optional<int>& v) { return v ? json(*v) : json(nullptr); };
    const auto opt_bool = [](const std::optional<bool>& v) { return v ? json(*v) : json(nullptr); };
    j["profiling"] = {{"perf_event_paranoid", opt_int(p.paranoid)},
                      {"seccomp_mode", opt_int(p.seccomp_mode)},
                      {"cap_perfmon", opt_bool(p.cap_perfmon)},
                      {"cap_sys_admin", opt_bool(p.cap_sys_admin)},
                      {"software_events", p.software_events},
                      {"software_reason", p.software_reason.empty() ? json(nullptr) : json(p.software_reason)},
                      {"hardware_events", p.hardware_events},
                      {"hardware_reason", p.hardware_reason.empty() ? json(nullptr) : json(p.hardware_reason)}};
  }
  j["findings"] = findings_json(r.findings);
  j["unavailable"] = unavailable;
  return j;
}

}  // namespace torchdiag
