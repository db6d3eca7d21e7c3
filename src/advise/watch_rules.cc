#include "advise/watch_rules.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "advise/findings.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

using namespace watch_limits;

int usable_of(const WatchedProcess& p) { return std::max(1, p.capacity.usable_threads); }

std::string who(const WatchedProcess& p) { return fmt::format("PID {} ({})", p.pid, p.comm); }

Finding about(const WatchedProcess& p, std::string id, Severity s, std::string message, std::string fix) {
  return {std::move(id), s, std::move(message), std::move(fix), fmt::format("pid {}", p.pid)};
}

Finding about(const WatchedCgroup& c, std::string id, Severity s, std::string message, std::string fix) {
  return {std::move(id), s, std::move(message), std::move(fix), "cgroup " + c.path};
}

std::string cpus_word(int n) { return n == 1 ? "usable CPU" : "usable CPUs"; }

/// "why" for an oversubscribed figure set, e.g. "8.0 runnable threads on 1 usable CPU
/// (quota): 88% of runnable time waiting for a CPU, 96% of CFS periods throttled".
std::string over_reason(double runnable, int usable, const std::string& limited_by, double wait,
                        const std::optional<double>& throttled) {
  std::vector<std::string> evidence;
  if (wait > kWaitFraction) evidence.push_back(percent(wait) + " of runnable time waiting for a CPU");
  if (throttled && *throttled > kThrottledFraction) evidence.push_back(percent(*throttled) + " of CFS periods throttled");
  return fmt::format("{:.1f} runnable threads on {} {}{}: {}", runnable, usable, cpus_word(usable),
                     limited_by.empty() ? "" : " (" + limited_by + ")", join(evidence, ", "));
}

bool over(double ratio, double wait, const std::optional<double>& throttled) {
  return ratio > kOverRatio && (wait > kWaitFraction || (throttled && *throttled > kThrottledFraction));
}

bool is_python(const WatchedProcess& p) {
  return starts_with(p.comm, "python") || p.cmdline.find("python") != std::string::npos;
}

/// The settings that size the process's pools, e.g. "OMP_NUM_THREADS=8" or "no
/// thread-count variable set".
std::string env_summary(const WatchedProcess& p) {
  if (!p.env_error.empty()) return "its environment could not be read";
  std::vector<std::string> set;
  for (const char* name : {"OMP_NUM_THREADS", "MKL_NUM_THREADS"}) {
    const auto it = p.thread_env.find(name);
    if (it != p.thread_env.end()) set.push_back(fmt::format("{}={}", name, it->second));
  }
  return set.empty() ? "no OMP_NUM_THREADS/MKL_NUM_THREADS set (LibTorch then uses one thread per "
                       "physical core it sees, not the quota)"
                     : join(set, " ");
}

std::string thread_fix(const WatchedProcess& p, int threads) {
  auto fix = fmt::format("set OMP_NUM_THREADS={0} MKL_NUM_THREADS={0} in the environment of PID {1}", threads, p.pid);
  const bool libtorch = std::find(p.frameworks.begin(), p.frameworks.end(), "libtorch") != p.frameworks.end();
  if (libtorch && !is_python(p)) {
    fix += fmt::format("; in a C++ engine with E concurrent inference threads call "
                       "at::set_num_threads(max(1, {} / E)) (at::set_num_threads(1) per engine thread "
                       "when E >= {})",
                       threads, threads);
  } else if (libtorch) {
    fix += fmt::format(" (or torch.set_num_threads({}) before the first inference)", threads);
  }
  return fix;
}

/// Processes of cgroup `c` that used CPU in the window (not idle, not exited early).
int busy_in(const WatchReport& r, const WatchedCgroup& c) {
  int n = 0;
  for (const auto& p : r.processes) {
    const bool member = std::find(c.pids.begin(), c.pids.end(), p.pid) != c.pids.end();
    if (member && p.verdict != Verdict::kIdle && p.verdict != Verdict::kExited) ++n;
  }
  return n;
}

}  // namespace

int pool_threads(const WatchedProcess& p) {
  for (const auto& pool : p.pools) {
    if (pool.kind == ThreadKind::kOpenmp) return pool.threads;
  }
  if (const auto env = env_intra_op_threads(p.thread_env)) return *env;
  return std::max(1, p.threads);
}

void judge_process(WatchedProcess& p) {
  const int usable = usable_of(p);
  const auto& f = p.figures;
  p.pool_threads = pool_threads(p);
  p.oversubscription_ratio = f.runnable_threads_mean / usable;
  if (p.observed_s <= 0) {
    p.verdict = p.exited ? Verdict::kExited : Verdict::kIdle;
    p.verdict_reason = p.exited ? "exited before one interval was seen" : "no interval was completed";
    return;
  }
  const std::string limited_by = to_string(p.capacity.limited_by);
  if (over(p.oversubscription_ratio, f.runqueue_wait_fraction, p.throttled_fraction)) {
    p.verdict = Verdict::kOversubscribed;
    p.verdict_reason = over_reason(f.runnable_threads_mean, usable, limited_by, f.runqueue_wait_fraction,
                                   p.throttled_fraction);
  } else if (f.cpu_used_cpus < kIdleCpus && f.runnable_threads_mean < kIdleRunnable) {
    p.verdict = Verdict::kIdle;
    p.verdict_reason = fmt::format("{:.2f} CPUs used, {:.2f} runnable threads", f.cpu_used_cpus, f.runnable_threads_mean);
  } else if (p.pool_threads < usable && f.cpu_used_cpus >= kBusyShare * p.pool_threads) {
    p.verdict = Verdict::kUndersubscribed;
    p.verdict_reason = fmt::format("busy on {} pool thread(s) ({:.2f} CPUs used) while {} threads are usable",
                                   p.pool_threads, f.cpu_used_cpus, usable);
  } else {
    p.verdict = Verdict::kOk;
    p.verdict_reason = fmt::format("{:.1f} runnable threads on {} {}, {} of runnable time waiting",
                                   f.runnable_threads_mean, usable, cpus_word(usable), percent(f.runqueue_wait_fraction));
  }
}

std::vector<WatchedCgroup> group_by_cgroup(const std::vector<WatchedProcess>& processes) {
  std::vector<WatchedCgroup> out;
  std::map<std::string, size_t> index;
  std::map<std::string, double> waited;
  for (const auto& p : processes) {
    if (p.observed_s <= 0) continue;
    const auto [it, added] = index.emplace(p.cgroup, out.size());
    if (added) {
      out.emplace_back();
      out.back().path = p.cgroup;
      out.back().pod = {p.pod.pod_uid, "", p.pod.namespace_, p.pod.pod, ""};
      out.back().usable_threads = 0;
    }
    auto& c = out[it->second];
    c.pids.push_back(p.pid);
    c.usable_threads = std::max(c.usable_threads, usable_of(p));
    c.pool_threads += p.pool_threads;
    c.runnable_threads_mean += p.figures.runnable_threads_mean;
    c.cpu_used_cpus += p.figures.cpu_used_cpus;
    waited[p.cgroup] += p.figures.runnable_threads_mean * p.figures.runqueue_wait_fraction;
    if (p.throttled_fraction) c.throttled_fraction = std::max(c.throttled_fraction.value_or(0), *p.throttled_fraction);
  }
  for (auto& c : out) {
    c.runqueue_wait_fraction = c.runnable_threads_mean > 0 ? waited[c.path] / c.runnable_threads_mean : 0;
    c.oversubscription_ratio = c.runnable_threads_mean / c.usable_threads;
    if (over(c.oversubscription_ratio, c.runqueue_wait_fraction, c.throttled_fraction)) {
      c.verdict = Verdict::kOversubscribed;
      c.verdict_reason = over_reason(c.runnable_threads_mean, c.usable_threads, "", c.runqueue_wait_fraction,
                                     c.throttled_fraction);
    } else if (c.cpu_used_cpus < kIdleCpus && c.runnable_threads_mean < kIdleRunnable) {
      c.verdict = Verdict::kIdle;
      c.verdict_reason = fmt::format("{:.2f} CPUs used", c.cpu_used_cpus);
    } else if (c.pool_threads < c.usable_threads && c.cpu_used_cpus >= kBusyShare * c.pool_threads) {
      c.verdict = Verdict::kUndersubscribed;
      c.verdict_reason = fmt::format("{} pool thread(s) busy while {} CPUs are usable", c.pool_threads, c.usable_threads);
    } else {
      c.verdict = Verdict::kOk;
      c.verdict_reason = fmt::format("{:.1f} runnable threads on {} {}", c.runnable_threads_mean,
                                     c.usable_threads, cpus_word(c.usable_threads));
    }
  }
  return out;
}

std::vector<Finding> watch_findings(const WatchReport& r) {
  std::vector<Finding> out;
  for (const auto& p : r.processes) {
    // Processes that share a cgroup share its CPUs: each one's fix is its share, so the
    // per-process fixes and the cgroup's add up to the same split.
    int sharing = 1;
    for (const auto& c : r.cgroups) {
      if (std::find(c.pids.begin(), c.pids.end(), p.pid) != c.pids.end()) sharing = std::max(1, busy_in(r, c));
    }
    const int usable = std::max(1, usable_of(p) / sharing);
    if (p.verdict == Verdict::kOversubscribed) {
      const auto sev = p.oversubscription_ratio >= 2 ? Severity::kCritical : Severity::kWarning;
      out.push_back(about(p, "oversubscription", sev,
                     fmt::format("{}: {}; ratio {:.2f}; {} pool thread(s), {}", who(p), p.verdict_reason,
                                 p.oversubscription_ratio, p.pool_threads, env_summary(p)),
                     thread_fix(p, usable)));
    } else if (p.verdict == Verdict::kUndersubscribed) {
      out.push_back(about(p, "undersubscription", Severity::kWarning,
                              fmt::format("{}: {}; {}", who(p), p.verdict_reason, env_summary(p)),
                              thread_fix(p, usable)));
    }
    if (p.spin_fraction && *p.spin_fraction >= kSpinFraction) {
      out.push_back(about(p, "openmp-spin", p.verdict == Verdict::kOversubscribed ? Severity::kWarning : Severity::kInfo,
                     fmt::format("{}: {} of its CPU samples are in the OpenMP runtime's code (threads "
                                 "spinning at barriers and waiting for work, not computing)",
                                 who(p), percent(*p.spin_fraction)),
                     fmt::format("set OMP_NUM_THREADS to at most {} and OMP_WAIT_POLICY=passive in the "
                                 "environment of PID {}",
                                 usable, p.pid)));
    }
    std::set<std::string> omp;
    for (const auto& lib : p.threadpools) {
      if (lib.api == PoolApi::kOpenmp) omp.insert(lib.path);
    }
    if (omp.size() > 1) {
      out.push_back(about(p, "multiple-openmp-runtimes", Severity::kCritical,
                     fmt::format("{} maps more than one OpenMP runtime: {}; each sizes its own pool",
                                 who(p), join({omp.begin(), omp.end()}, ", ")),
                     "make every library use one runtime (e.g. preload one, or rebuild)"));
    }
  }
  for (const auto& c : r.cgroups) {
    if (c.pids.size() > 1 && c.verdict == Verdict::kOversubscribed) {
      std::vector<int> pools;
      for (const auto& p : r.processes) {
        if (std::find(c.pids.begin(), c.pids.end(), p.pid) != c.pids.end()) pools.push_back(p.pool_threads);
      }
      const bool same = std::all_of(pools.begin(), pools.end(), [&](int n) { return n == pools.front(); });
      std::vector<std::string> parts;
      for (int n : pools) parts.push_back(std::to_string(n));
      const auto sum = same ? fmt::format("{} processes x {} pool threads", pools.size(), pools.front())
                            : fmt::format("{} processes with {} pool threads", pools.size(), join(parts, " + "));
      const int busy = std::max(1, busy_in(r, c));
      const int each = std::max(1, c.usable_threads / busy);
      out.push_back(about(c, "cgroup-oversubscribed",
                     c.oversubscription_ratio >= 2 ? Severity::kCritical : Severity::kWarning,
                     fmt::format("cgroup {}: {} = {} threads on {} {}; {}", c.path, sum, c.pool_threads,
                                 c.usable_threads, cpus_word(c.usable_threads), c.verdict_reason),
                     fmt::format("keep workers x threads <= {}: OMP_NUM_THREADS={} for each of the {} "
                                 "busy processes{}",
                                 c.usable_threads, each, busy,
                                 busy > c.usable_threads
                                     ? fmt::format(", or run at most {} workers", c.usable_threads)
                                     : "")));
    }
    if (c.verdict != Verdict::kOversubscribed && c.throttled_fraction && *c.throttled_fraction > kThrottledFraction) {
      out.push_back(about(c, "cfs-throttled", Severity::kWarning,
                     fmt::format("cgroup {}: {} of CFS periods throttled during the watch", c.path,
                                 percent(*c.throttled_fraction)),
                     fmt::format("run at most {} busy thread(s) in this cgroup, or raise its CPU limit",
                                 c.usable_threads)));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return static_cast<int>(a.severity) > static_cast<int>(b.severity);
  });
  return out;
}

void judge_watch(WatchReport& report) {
  for (auto& p : report.processes) judge_process(p);
  report.cgroups = group_by_cgroup(report.processes);
  report.findings = watch_findings(report);
}

}  // namespace torchdiag
