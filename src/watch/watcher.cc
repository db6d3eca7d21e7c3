#include "watch/watcher.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "advise/capacity_rules.h"
#include "advise/watch_rules.h"
#include "probe/cgroup.h"
#include "probe/cgroup_files.h"
#include "probe/env_probe.h"
#include "probe/inspect_probe.h"
#include "probe/pod_identity.h"
#include "probe/task_files.h"
#include "sys/clock.h"
#include "sys/perf_open.h"
#include "sys/perf_sampler.h"
#include "sys/threadpool_libs.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

constexpr double kNs = 1e-9;
/// Fewer CPU samples than this give no spin share: the figure would be noise.
constexpr uint64_t kMinSpinSamples = 20;
/// A pool whose busiest thread ran less than this over the window was idle.
constexpr double kPoolBusyS = 0.05;
/// In a working pool, a member ran at least this share of its busiest thread's time.
constexpr double kPoolMemberShare = 0.05;

/// Sums of per-thread deltas over intervals.
struct Totals {
  double wall_s = 0;
  double on_cpu_s = 0;
  double wait_s = 0;
  double r_state_threads = 0;  ///< sum over samples of threads in state R, times the interval
  long long voluntary = 0;
  long long involuntary = 0;
  long long migrations = 0;

  SchedFigures figures(bool schedstat) const {
    SchedFigures f;
    if (wall_s <= 0) return f;
    f.runnable_threads_mean = schedstat ? (on_cpu_s + wait_s) / wall_s : r_state_threads / wall_s;
    f.cpu_used_cpus = on_cpu_s / wall_s;
    f.runqueue_wait_fraction = on_cpu_s + wait_s > 0 ? wait_s / (on_cpu_s + wait_s) : 0;
    f.involuntary_switches_per_s = static_cast<double>(involuntary) / wall_s;
    f.voluntary_switches_per_s = static_cast<double>(voluntary) / wall_s;
    f.migrations = migrations;
    return f;
  }
};

/// A counter's growth, never negative (a counter that went back is a reused id).
template <class T>
T grew(T now, T before) {
  return now > before ? now - before : T{};
}

struct GroupKey {
  ThreadKind kind;
  std::string name;
  bool operator<(const GroupKey& o) const {
    return kind != o.kind ? kind < o.kind : name < o.name;
  }
};

/// One target while it is watched.
struct Tracked {
  WatchTarget target;
  WatchedProcess out;
  SampleFiles files;
  ProcessSample prev;
  bool maps_openmp = false;
  bool maps_blas = false;
  std::string main_name;
  std::map<int, ThreadKind> kinds;
  std::unique_ptr<PerfSampler> sampler;
  std::string cpu_stat_path;
  std::optional<CpuStat> first_stat, prev_stat;
  std::string pressure_path;
  std::optional<long long> first_pressure_us;
  double first_pressure_t = 0;
  Totals totals;
  std::map<GroupKey, Totals> groups;
  std::map<int, double> thread_cpu_s;  ///< on-CPU seconds per thread over the window
  bool ticks_only = false;
};

double clock_ticks_per_s() {
  const long hz = ::sysconf(_SC_CLK_TCK);
  return hz > 0 ? static_cast<double>(hz) : 100.0;
}

std::optional<CpuStat> read_cpu_stat(const FsReader& fs, const std::string& path) {
  if (path.empty()) return std::nullopt;
  const auto f = fs.read(path);
  return f.ok() ? parse_cpu_stat(f.text) : std::nullopt;
}

std::optional<long long> read_pressure_total(const FsReader& fs, const std::string& path) {
  if (path.empty()) return std::nullopt;
  const auto f = fs.read(path);
  const auto p = f.ok() ? parse_pressure(f.text) : std::nullopt;
  return p ? std::optional<long long>(p->some_total_us) : std::nullopt;
}

void set_up(const FsReader& fs, Tracked& t, const WatchOptions& o, TopologyCache& topology) {
  auto& p = t.out;
  const auto& g = t.target;
  p.pid = g.pid;
  p.comm = g.comm;
  p.cmdline = g.cmdline;
  p.threadpools = find_threadpools(g.mapped);
  p.frameworks = find_frameworks(g.mapped);
  p.allocator = g.maps_error.empty() ? find_allocator(g.mapped) : "";
  if (!g.maps_error.empty()) p.notes.push_back(g.maps_error);
  for (const auto& lib : p.threadpools) {
    if (lib.api == PoolApi::kOpenmp) t.maps_openmp = true;
    if (lib.api == PoolApi::kBlas) t.maps_blas = true;
  }
  const auto facts = probe_inspect(fs, g.pid, &topology);
  p.capacity = compute_capacity(facts.cpu, facts.cgroup);
  p.quota_cpus = facts.cgroup.quota_cpus;
  p.affinity_cpus = affinity_count(facts.cpu, facts.cgroup);
  p.cgroup = facts.cgroup.path;
  p.pod = pod_identity(facts.cgroup.path, facts.env.pod);
  p.thread_env = facts.env.vars;
  p.env_error = facts.env.error;
  if (!facts.env.error.empty()) p.notes.push_back("environment: " + facts.env.error);
  for (const auto& w : facts.cgroup.warnings) p.notes.push_back("cgroup: " + w);
  if (facts.cgroup.cpu_stat.ok()) {
    t.cpu_stat_path = facts.cgroup.cpu_stat.path;
    p.throttle_source = t.cpu_stat_path;
  } else {
    p.throttle_source = facts.cgroup.cpu_stat.why();
  }
  if (facts.cgroup.pressure.ok() && facts.cgroup.pressure_scope == "cgroup") {
    t.pressure_path = facts.cgroup.pressure.path;
  }
  if (!o.spin) p.spin_reason = "switched off (--no-spin)";
}

void start_sampler(Tracked& t, const WatchOptions& o, const std::vector<int>& tids) {
  if (!o.spin) return;
  if (t.target.openmp_ranges.empty()) {  // nothing to attribute samples to: no events at all
    t.out.spin_reason = t.target.maps_error.empty() ? "no OpenMP runtime is mapped in the process"
                                                    : "the process's maps could not be read";
    return;
  }
  PerfSamplerOptions so;
  so.paranoid = o.paranoid;
  so.frequency_hz = o.spin_hz;
  so.open_fn = o.open_fn;
  so.pid = t.target.pid;
  so.tids = tids;
  so.openmp_ranges = t.target.openmp_ranges;
  t.sampler = std::make_unique<PerfSampler>(so);
  if (!t.sampler->available()) {
    t.out.spin_reason = t.sampler->unavailable_reason();
    t.sampler.reset();
    return;
  }
  t.sampler->enable();
}

ThreadKind kind_of(Tracked& t, const ThreadSample& th) {
  const auto it = t.kinds.find(th.tid);
  if (it != t.kinds.end()) return it->second;
  const auto kind = classify_thread(th.tid, th.name, t.target.pid, t.main_name, t.maps_openmp, t.maps_blas);
  t.kinds.emplace(th.tid, kind);
  return kind;
}

/// Adds the interval from t.prev to `cur` to the totals and the timeline.
void add_interval(const FsReader& fs, Tracked& t, const ProcessSample& cur, double t0, double hz) {
  const double wall = cur.t_s - t.prev.t_s;
  if (wall <= 0) return;
  std::map<int, const ThreadSample*> before;
  for (const auto& th : t.prev.threads) before.emplace(th.tid, &th);
  Totals interval;
  interval.wall_s = wall;
  std::map<GroupKey, Totals> group_interval;
  for (const auto& th : cur.threads) {
    const GroupKey key{kind_of(t, th), th.name};
    auto& g = group_interval[key];
    const double r = th.state == 'R' ? wall : 0;
    g.r_state_threads += r;
    interval.r_state_threads += r;
    const auto it = before.find(th.tid);
    if (it == before.end()) continue;  // new thread: its counters start now
    const auto& b = *it->second;
    Totals d;
    if (th.schedstat && b.schedstat) {
      d.on_cpu_s = static_cast<double>(grew(th.schedstat->on_cpu_ns, b.schedstat->on_cpu_ns)) * kNs;
      d.wait_s = static_cast<double>(grew(th.schedstat->wait_ns, b.schedstat->wait_ns)) * kNs;
    } else {
      d.on_cpu_s = static_cast<double>(grew(th.utime_ticks + th.stime_ticks, b.utime_ticks + b.stime_ticks)) / hz;
      t.ticks_only = true;
    }
    t.thread_cpu_s[th.tid] += d.on_cpu_s;
    d.voluntary = grew(th.voluntary_switches, b.voluntary_switches);
    d.involuntary = grew(th.involuntary_switches, b.involuntary_switches);
    if (th.migrations && b.migrations) d.migrations = grew(*th.migrations, *b.migrations);
    for (auto* sum : {&interval, &g}) {
      sum->on_cpu_s += d.on_cpu_s;
      sum->wait_s += d.wait_s;
      sum->voluntary += d.voluntary;
      sum->involuntary += d.involuntary;
      sum->migrations += d.migrations;
    }
  }
  const auto add = [](Totals& into, const Totals& d) {
    into.wall_s += d.wall_s;
    into.on_cpu_s += d.on_cpu_s;
    into.wait_s += d.wait_s;
    into.r_state_threads += d.r_state_threads;
    into.voluntary += d.voluntary;
    into.involuntary += d.involuntary;
    into.migrations += d.migrations;
  };
  add(t.totals, interval);
  for (const auto& [key, d] : group_interval) add(t.groups[key], d);  // wall: the process's
  TimelinePoint point;
  point.t_s = cur.t_s - t0;
  const bool schedstat = !t.ticks_only;
  const auto f = interval.figures(schedstat);
  point.runnable = f.runnable_threads_mean;
  point.cpu_used_cpus = f.cpu_used_cpus;
  const auto stat = read_cpu_stat(fs, t.cpu_stat_path);
  if (stat && t.prev_stat) {
    const auto periods = grew(stat->nr_periods, t.prev_stat->nr_periods);
    if (periods > 0) {
      point.throttled = static_cast<double>(grew(stat->nr_throttled, t.prev_stat->nr_throttled)) /
                        static_cast<double>(periods);
    }
  }
  if (stat) t.prev_stat = stat;
  t.out.timeline.push_back(point);
}

/// Threads of `kind` in the pool: all of them when the pool was idle; when it worked,
/// only those that did (a thread that only shares the workers' name, like a helper
/// thread of the application, sleeps while the team computes).
int pool_members(const Tracked& t, ThreadKind kind) {
  std::vector<double> cpu;
  for (const auto& th : t.prev.threads) {
    const auto k = t.kinds.find(th.tid);
    if (k == t.kinds.end() || k->second != kind) continue;
    const auto c = t.thread_cpu_s.find(th.tid);
    cpu.push_back(c == t.thread_cpu_s.end() ? 0.0 : c->second);
  }
  const double busiest = cpu.empty() ? 0 : *std::max_element(cpu.begin(), cpu.end());
  if (busiest < kPoolBusyS) return static_cast<int>(cpu.size());
  return static_cast<int>(std::count_if(cpu.begin(), cpu.end(), [&](double c) { return c >= kPoolMemberShare * busiest; }));
}

/// The process's figures, thread groups, pools and throttling from the totals so far.
WatchedProcess summarize(const Tracked& t) {
  WatchedProcess p = t.out;
  p.observed_s = t.totals.wall_s;
  p.schedstat = !t.ticks_only;
  p.figures = t.totals.figures(p.schedstat);
  p.threads = static_cast<int>(t.prev.threads.size());
  const auto kind_of_tid = [&](int tid) {
    const auto it = t.kinds.find(tid);
    return it == t.kinds.end() ? ThreadKind::kOther : it->second;
  };
  for (const auto& [key, totals] : t.groups) {
    ThreadGroup g;
    g.kind = key.kind;
    g.name = key.name;
    for (const auto& th : t.prev.threads) {
      if (th.name == key.name && kind_of_tid(th.tid) == key.kind) ++g.threads;
    }
    Totals whole = totals;
    whole.wall_s = t.totals.wall_s;  // a group that appeared late averages over the whole window
    g.figures = whole.figures(p.schedstat);
    p.groups.push_back(g);
  }
  std::stable_sort(p.groups.begin(), p.groups.end(), [](const ThreadGroup& a, const ThreadGroup& b) {
    return a.figures.cpu_used_cpus > b.figures.cpu_used_cpus;
  });
  if (t.first_stat && t.prev_stat) {
    p.periods = grew(t.prev_stat->nr_periods, t.first_stat->nr_periods);
    p.throttled_periods = grew(t.prev_stat->nr_throttled, t.first_stat->nr_throttled);
    p.throttled_s = std::max(0.0, t.prev_stat->throttled_s - t.first_stat->throttled_s);
    // No period ran in the quota's cgroup: nothing was throttled.
    p.throttled_fraction = p.periods > 0 ? static_cast<double>(p.throttled_periods) / static_cast<double>(p.periods) : 0.0;
  }
  const auto library_of = [&](ThreadKind kind) -> std::string {
    for (const auto& lib : p.threadpools) {
      if (kind == ThreadKind::kOpenmp && lib.api == PoolApi::kOpenmp) return lib.library;
      if (kind == ThreadKind::kBlas && lib.api == PoolApi::kBlas) return lib.library;
    }
    if (kind == ThreadKind::kInterop && !p.frameworks.empty()) return p.frameworks.front();
    return "";
  };
  for (const auto kind : {ThreadKind::kOpenmp, ThreadKind::kInterop, ThreadKind::kBlas}) {
    int n = pool_members(t, kind);
    if (n == 0) continue;
    // The thread that starts a parallel region is member 0 of its OpenMP team.
    if (kind == ThreadKind::kOpenmp) ++n;
    p.pools.push_back(PoolThreads{kind, library_of(kind), n});
  }
  return p;
}

/// The final form: summary, cgroup pressure over the window, spin share.
WatchedProcess finish(const FsReader& fs, Tracked& t, double t_end) {
  auto p = summarize(t);
  if (t.ticks_only) {
    p.notes.push_back("no schedstat for some threads (kernel without CONFIG_SCHEDSTATS?): runnable "
                      "threads come from sampling thread states and CPU time from utime/stime");
  }
  if (t.first_pressure_us && !p.exited) {
    const auto now = read_pressure_total(fs, t.pressure_path);
    const double wall = t_end - t.first_pressure_t;
    if (now && wall > 0) {
      p.pressure_some_fraction =
          std::min(1.0, static_cast<double>(grew(*now, *t.first_pressure_us)) * 1e-6 / wall);
    }
  }
  if (t.sampler) {
    t.sampler->disable();
    const auto c = t.sampler->counts();
    p.spin_samples = static_cast<long long>(c.total);
    if (c.total < kMinSpinSamples) {
      p.spin_reason = fmt::format("too few CPU samples ({}) to tell: the process used little CPU", c.total);
    } else {
      p.spin_fraction = static_cast<double>(c.in_openmp) / static_cast<double>(c.total);
    }
    if (t.sampler->unsampled_threads() > 0) {
      p.notes.push_back(fmt::format("{} thread(s) were not sampled for spin", t.sampler->unsampled_threads()));
    }
    t.sampler.reset();
  }
  return p;
}

WatchReport report_of(std::vector<WatchedProcess> processes, const WatchOptions& o, double observed) {
  WatchReport r;
  r.duration_s = o.duration_s;
  r.interval_s = o.interval_s;
  r.observed_s = observed;
  r.selection = o.selection;
  r.processes_scanned = o.processes_scanned;
  r.processes = std::move(processes);
  judge_watch(r);
  return r;
}

}  // namespace

ThreadKind classify_thread(int tid, const std::string& name, int pid, const std::string& main_name,
                           bool maps_openmp, bool maps_blas) {
  if (tid == pid) return ThreadKind::kMain;
  if (name == "pt_thread_pool" || starts_with(name, "pt_interop")) return ThreadKind::kInterop;
  if (name == main_name) {
    if (maps_openmp) return ThreadKind::kOpenmp;
    if (maps_blas) return ThreadKind::kBlas;
  }
  return ThreadKind::kOther;
}

WatchReport watch_processes(const FsReader& fs, const std::vector<WatchTarget>& targets,
                            const WatchOptions& o, WatchObserver* observer) {
  const double hz = clock_ticks_per_s();
  std::vector<Tracked> tracked(targets.size());
  TopologyCache topology;
  for (size_t i = 0; i < targets.size(); ++i) {
    auto& t = tracked[i];
    t.target = targets[i];
    set_up(fs, t, o, topology);
  }
  double t0 = 0;
  for (auto& t : tracked) {
    t.prev = sample_process(fs, t.target.pid, t.target.start_ticks, t.files);
    if (t.prev.gone) {
      t.out.exited = true;
      continue;
    }
    for (const auto& th : t.prev.threads) {
      if (th.tid == t.target.pid) t.main_name = th.name;
    }
    std::vector<int> tids;
    for (const auto& th : t.prev.threads) tids.push_back(th.tid);
    start_sampler(t, o, tids);
    t.first_stat = t.prev_stat = read_cpu_stat(fs, t.cpu_stat_path);
    t.first_pressure_us = read_pressure_total(fs, t.pressure_path);
    t.first_pressure_t = t.prev.t_s;
    if (t0 == 0) t0 = t.prev.t_s;
  }
  if (t0 == 0) {
    t0 = steady_now_s();
  }
  const int intervals = std::max(1, static_cast<int>(o.duration_s / o.interval_s + 0.5));
  double last = t0;
  bool stopped = false;
  for (int i = 1; i <= intervals && !stopped; ++i) {
    // When asked to stop mid-interval, the part of the interval seen so far still counts.
    stopped = sleep_until(t0 + i * o.interval_s, o.stop);
    for (auto& t : tracked) {
      if (t.out.exited) continue;
      auto cur = sample_process(fs, t.target.pid, t.target.start_ticks, t.files);
      if (cur.gone) {
        t.out.exited = true;
        if (t.sampler) t.sampler->disable();
        continue;
      }
      add_interval(fs, t, cur, t0, hz);
      if (t.sampler) {
        for (const auto& th : cur.threads) t.sampler->add_thread(th.tid);
      }
      t.prev = std::move(cur);
      last = std::max(last, t.prev.t_s);
    }
    const bool all_gone =
        std::all_of(tracked.begin(), tracked.end(), [](const Tracked& t) { return t.out.exited; });
    if (all_gone) break;  // nothing left to see
    if (observer) {
      std::vector<WatchedProcess> so_far;
      for (const auto& t : tracked) so_far.push_back(summarize(t));
      observer->on_interval(report_of(std::move(so_far), o, last - t0));
    }
  }
  std::vector<WatchedProcess> processes;
  for (auto& t : tracked) processes.push_back(finish(fs, t, last));
  auto report = report_of(std::move(processes), o, last - t0);
  report.interrupted = stopped;
  return report;
}

}  // namespace torchdiag
