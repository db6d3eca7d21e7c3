#pragma once
// Pure parsers of cgroup files. References: Documentation/admin-guide/cgroup-v2.rst
// (cpu.max, cpu.stat, cpu.weight, cpu.pressure) and Documentation/scheduler/sched-bwc.rst
// (v1 cpu.cfs_quota_us, cpu.cfs_period_us, cpu.stat).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/cgroup_facts.h"

namespace torchdiag {

/// One line of /proc/PID/cgroup: "hierarchy-ID:controller-list:cgroup-path".
struct CgroupLine {
  int hierarchy_id = 0;
  std::vector<std::string> controllers;  ///< empty for the v2 "0::" line
  std::string path;
};

/// Parses /proc/PID/cgroup; malformed lines are skipped.
std::vector<CgroupLine> parse_proc_cgroup(std::string_view text);

/// A CPU bandwidth limit. `limited` is false for "max" / -1.
struct CpuQuota {
  bool limited = false;
  long long quota_us = 0;
  long long period_us = 0;
  double cpus() const { return static_cast<double>(quota_us) / static_cast<double>(period_us); }
};

/// Either a quota or an error explaining why the file means "no known limit".
struct QuotaParse {
  CpuQuota quota;
  std::string error;
  bool ok() const { return error.empty(); }
};

/// v2 cpu.max: "max 100000", "50000 100000", or "max" alone (period then unknown but
/// irrelevant). Empty, garbage, non-positive quota or zero period are errors.
QuotaParse parse_cpu_max(std::string_view text);

/// v1 cpu.cfs_quota_us (-1 = unlimited) and cpu.cfs_period_us.
QuotaParse parse_cfs_quota(std::string_view quota_text, std::string_view period_text);

/// cpu.stat of either version: v1 throttled_time is ns, v2 throttled_usec is us.
/// nullopt when nr_periods or nr_throttled are missing.
std::optional<CpuStat> parse_cpu_stat(std::string_view text);

/// cpu.pressure / proc/pressure/cpu: reads the "some" line. nullopt when malformed.
std::optional<Pressure> parse_pressure(std::string_view text);

}  // namespace torchdiag
