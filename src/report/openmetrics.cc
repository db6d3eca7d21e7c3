#include "report/openmetrics.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "util/strings.h"

namespace torchdiag {
namespace {

/// The unit a family name ends with, for # UNIT ("" when none).
std::string unit_of(const std::string& name) {
  for (const char* unit : {"seconds", "ratio", "bytes"}) {
    const std::string suffix = std::string("_") + unit;
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return unit;
    }
  }
  return "";
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{}", v);
}

void build_info(MetricsText& m, const std::string& libtorch) {
  m.gauge("torchdiag_build_info", "torchdiag's version and the LibTorch version it reports (\"\" when not asked)",
          {{"version", TORCHDIAG_VERSION}, {"libtorch", libtorch}}, 1);
}

void findings(MetricsText& m, const std::vector<Finding>& findings) {
  for (const auto& f : findings) {
    m.gauge("torchdiag_finding_info", "A finding that fired: its id, severity and what it is about",
            {{"id", f.id}, {"severity", to_string(f.severity)}, {"subject", f.subject}}, 1);
  }
}

void add_pod(MetricLabels& labels, const PodIdentity& pod) {
  if (!pod.pod_uid.empty()) labels.emplace_back("pod_uid", pod.pod_uid);
  if (!pod.namespace_.empty()) labels.emplace_back("namespace", pod.namespace_);
  if (!pod.pod.empty()) labels.emplace_back("pod", pod.pod);
  if (!pod.container.empty()) labels.emplace_back("container", pod.container);
}

MetricLabels process_labels(const WatchedProcess& p) {
  MetricLabels labels = {{"pid", std::to_string(p.pid)}, {"comm", p.comm}, {"cgroup", p.cgroup}};
  add_pod(labels, p.pod);
  return labels;
}

void process_metrics(MetricsText& m, const WatchedProcess& p) {
  const auto labels = process_labels(p);
  const auto with = [&](const char* key, const std::string& value) {
    auto l = labels;
    l.emplace_back(key, value);
    return l;
  };
  m.gauge("torchdiag_process_threads", "Threads of the process at the end of the watch", labels, p.threads);
  m.gauge("torchdiag_process_pool_threads", "Threads in the process's intra-op pool (OpenMP team, else the env's count)",
          labels, p.pool_threads);
  m.gauge("torchdiag_process_usable_threads", "Threads the process's CPUs sustain (its quota, cpuset and affinity)",
          labels, p.capacity.usable_threads);
  m.gauge("torchdiag_process_runnable_threads", "Mean threads running or waiting for a CPU over the watch", labels,
          p.figures.runnable_threads_mean);
  m.gauge("torchdiag_process_cpus_used", "Mean CPUs used by the process over the watch", labels,
          p.figures.cpu_used_cpus);
  m.gauge("torchdiag_process_oversubscription_ratio", "Runnable threads divided by usable threads", labels,
          p.oversubscription_ratio);
  m.gauge("torchdiag_process_runqueue_wait_ratio", "Share of runnable time spent waiting for a CPU", labels,
          p.figures.runqueue_wait_fraction);
  if (p.throttled_fraction) {
    m.gauge("torchdiag_process_throttled_ratio", "Share of the cgroup's CFS periods throttled during the watch",
            labels, *p.throttled_fraction);
  }
  if (p.spin_fraction) {
    m.gauge("torchdiag_process_spin_ratio", "Share of CPU samples in the OpenMP runtime's code (spinning)", labels,
            *p.spin_fraction);
  } else {
    m.gauge("torchdiag_process_spin_unavailable_info", "Why the spin share of the process is not measured",
            with("reason", p.spin_reason), 1);
  }
  m.gauge("torchdiag_process_verdict_info", "The verdict on the process over the watch",
          with("verdict", to_string(p.verdict)), 1);
}

void cgroup_metrics(MetricsText& m, const WatchedCgroup& c) {
  MetricLabels labels = {{"cgroup", c.path}};
  add_pod(labels, c.pod);
  m.gauge("torchdiag_cgroup_pool_threads", "Sum of the pool threads of the watched processes in the cgroup", labels,
          c.pool_threads);
  m.gauge("torchdiag_cgroup_usable_threads", "Threads the cgroup's CPUs sustain", labels, c.usable_threads);
  m.gauge("torchdiag_cgroup_runnable_threads", "Sum of the mean runnable threads of its watched processes", labels,
          c.runnable_threads_mean);
  m.gauge("torchdiag_cgroup_oversubscription_ratio", "Runnable threads of the cgroup divided by its usable threads",
          labels, c.oversubscription_ratio);
  auto with = labels;
  with.emplace_back("verdict", to_string(c.verdict));
  m.gauge("torchdiag_cgroup_verdict_info", "The verdict on the cgroup over the watch", with, 1);
}

}  // namespace

void MetricsText::gauge(const std::string& name, const std::string& help, const MetricLabels& labels, double value) {
  auto it = std::find_if(families_.begin(), families_.end(), [&](const Family& f) { return f.name == name; });
  if (it == families_.end()) {
    families_.push_back({name, help, {}});
    it = families_.end() - 1;
  }
  std::vector<std::string> parts;
  for (const auto& [key, v] : labels) parts.push_back(fmt::format("{}=\"{}\"", key, escape_label_value(v)));
  std::string sample = name;
  if (!parts.empty()) sample += "{" + join(parts, ",") + "}";
  // One series per label set: a repeat (two findings alike) keeps the first value.
  const auto same = [&](const std::string& s) { return s.compare(0, sample.size() + 1, sample + " ") == 0; };
  if (std::any_of(it->samples.begin(), it->samples.end(), same)) return;
  it->samples.push_back(sample + " " + number(value));
}

std::string MetricsText::finish() const {
  std::string out;
  for (const auto& f : families_) {
    out += fmt::format("# HELP {} {}\n", f.name, escape_chars(f.help, {{'\\', "\\\\"}, {'\n', "\\n"}}));
    out += fmt::format("# TYPE {} gauge\n", f.name);
    if (const auto unit = unit_of(f.name); !unit.empty()) out += fmt::format("# UNIT {} {}\n", f.name, unit);
    for (const auto& s : f.samples) out += s + "\n";
  }
  return out + "# EOF\n";
}

std::string escape_label_value(const std::string& value) {
  return escape_chars(sanitize_utf8(value), {{'\\', "\\\\"}, {'"', "\\\""}, {'\n', "\\n"}});
}

std::string inspect_to_openmetrics(const InspectReport& r) {
  MetricsText m;
  const bool torch = r.torch && r.torch->available;
  build_info(m, torch ? r.torch->version : "");
  if (r.cpu.online.ok()) {
    m.gauge("torchdiag_cpu_online", "CPUs online on the node", {}, static_cast<double>(r.cpu.online.value->size()));
  }
  if (r.cpu.affinity.ok()) {
    m.gauge("torchdiag_cpu_affinity", "CPUs in this process's affinity mask", {},
            static_cast<double>(r.cpu.affinity.value->size()));
  }
  if (r.cgroup.quota_cpus) {
    m.gauge("torchdiag_cpu_quota_cpus", "The tightest CFS quota over the cgroup's ancestors, in CPUs", {},
            *r.cgroup.quota_cpus);
  }
  m.gauge("torchdiag_usable_threads", "Threads the CPUs sustain (quota, cpuset, affinity, SMT)", {},
          r.capacity.usable_threads);
  if (torch) {
    m.gauge("torchdiag_libtorch_intra_op_threads", "Intra-op threads LibTorch picks by itself here", {},
            r.torch->intra_op_threads);
  }
  findings(m, r.findings);
  return m.finish();
}

std::string watch_to_openmetrics(const WatchReport& r, size_t max_series, double unix_time_s) {
  MetricsText m;
  build_info(m, "");
  m.gauge("torchdiag_watch_duration_seconds", "Wall time the watch covered", {}, r.observed_s);
  m.gauge("torchdiag_watch_timestamp_seconds", "Unix time at the end of the watch", {}, unix_time_s);
  m.gauge("torchdiag_watch_processes", "Processes watched", {}, static_cast<double>(r.processes.size()));
  std::vector<const WatchedProcess*> order;
  for (const auto& p : r.processes) order.push_back(&p);
  std::stable_sort(order.begin(), order.end(),
                   [](const WatchedProcess* a, const WatchedProcess* b) { return a->threads > b->threads; });
  const size_t kept = std::min(order.size(), max_series);
  m.gauge("torchdiag_watch_processes_dropped", "Watched processes left out of the metrics by --max-series", {},
          static_cast<double>(order.size() - kept));
  std::set<std::string> subjects;  // the processes and cgroups kept
  for (size_t i = 0; i < kept; ++i) {
    process_metrics(m, *order[i]);
    subjects.insert(fmt::format("pid {}", order[i]->pid));
    subjects.insert("cgroup " + order[i]->cgroup);
  }
  for (const auto& c : r.cgroups) {
    if (subjects.count("cgroup " + c.path)) cgroup_metrics(m, c);
  }
  std::vector<Finding> kept_findings;
  for (const auto& f : r.findings) {
    if (f.subject.empty() || subjects.count(f.subject)) kept_findings.push_back(f);
  }
  findings(m, kept_findings);
  return m.finish();
}

std::string recommend_to_openmetrics(const Recommendation& rec) {
  MetricsText m;
  build_info(m, "");
  m.gauge("torchdiag_recommend_info", "How the recommendation was reached", {{"mode", to_string(rec.mode)}}, 1);
  for (const auto& s : rec.env) {
    const auto v = parse_int(s.value);
    if (!v) continue;  // only thread counts are numbers
    m.gauge("torchdiag_recommended_threads", "The thread count recommended for a variable", {{"variable", s.name}},
            static_cast<double>(*v));
  }
  m.gauge("torchdiag_usable_threads", "Threads the CPUs sustain (quota, cpuset, affinity, SMT)", {},
          rec.facts.usable_threads);
  return m.finish();
}

}  // namespace torchdiag
