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
