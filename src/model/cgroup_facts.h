#pragma once
#include <optional>
#include <string>
#include <vector>

#include "model/fact.h"
#include "util/cpu_list.h"

namespace torchdiag {

/// CFS bandwidth statistics from cpu.stat (v1 throttled_time is ns, v2 throttled_usec).
struct CpuStat {
  long long nr_periods = 0;
  long long nr_throttled = 0;
  double throttled_s = 0;
  double throttled_fraction() const {
    return nr_periods > 0 ? static_cast<double>(nr_throttled) / static_cast<double>(nr_periods) : 0.0;
  }
};

/// PSI averages from cpu.pressure ("some" line), in percent.
struct Pressure {
  double some_avg10 = 0;
  double some_avg60 = 0;
  double some_avg300 = 0;
  long long some_total_us = 0;
};

/// The cgroup limits that apply to this process's CPU use.
struct CgroupFacts {
  std::optional<int> version;        ///< hierarchy that owns the cpu controller: 1, 2 or none
  std::vector<int> mounted_versions; ///< every cgroup version mounted (hybrid: {1, 2})
  std::string path;                  ///< the process's cgroup, as in /proc/self/cgroup
  std::string dir;                   ///< the directory it maps to ("" when not found)
  std::string mount_point;           ///< mount point of the hierarchy used

  std::optional<double> quota_cpus;  ///< tightest quota over the ancestors, in CPUs; nullopt: none
  std::string quota_source;          ///< file that set it
  long long quota_us = 0;
  long long period_us = 0;

  Fact<CpuSet> cpuset;               ///< effective cpuset (cpuset.cpus.effective / effective_cpus)
  Fact<long long> weight;            ///< cpu.weight (v2) or cpu.shares (v1): a request, not a limit
  std::string weight_kind;           ///< "cpu.weight" or "cpu.shares"
  Fact<CpuStat> cpu_stat;            ///< throttling counters of the cgroup that sets the quota
  Fact<Pressure> pressure;           ///< the cgroup's cpu.pressure, else proc/pressure/cpu
  std::string pressure_scope;        ///< "cgroup", or "system-wide" (proc/pressure/cpu, a root cgroup)

  std::vector<std::string> warnings; ///< malformed files, mapping fallbacks
};

}  // namespace torchdiag
