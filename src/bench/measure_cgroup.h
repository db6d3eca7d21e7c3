#pragma once
// A temporary cgroup with a target container's limits (recommend --measure --cpus
// --cpuset --memory), so that benchmark workers are measured under them.
// References: Documentation/admin-guide/cgroup-v1/cgroups.rst (cgroup.procs),
// cgroup-v1/cpusets.rst (cpuset.cpus, cpuset.mems), cgroup-v1/memory.rst
// (memory.limit_in_bytes), Documentation/scheduler/sched-bwc.rst (cpu.cfs_quota_us,
// cpu.cfs_period_us) and Documentation/admin-guide/cgroup-v2.rst (cgroup.controllers,
// cgroup.subtree_control, "no internal process" constraint, cpu.max, cpuset.cpus,
// memory.max).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace torchdiag {

/// The limits to apply; an unset one leaves its controller alone.
struct CgroupLimits {
  std::optional<double> cpus;           ///< CFS quota in CPUs (0.5 = half a CPU per period)
  std::optional<std::string> cpuset;    ///< CPU list such as "0-1"
  std::optional<int64_t> memory_bytes;  ///< memory limit, bytes
};

/// CFS period written with every quota, microseconds.
inline constexpr long long kMeasurePeriodUs = 100000;
/// Smallest quota written, microseconds (the kernel refuses less than 1 ms).
inline constexpr long long kMinMeasureQuotaUs = 1000;

/// Where the cgroup goes and what is written there.
struct CgroupPlan {
  struct Dir {
    std::string path;  ///< absolute directory, e.g. /sys/fs/cgroup/cpu/torchdiag-measure-7
    /// File name -> value, written in this order (cpuset.mems before anyone joins).
    std::vector<std::pair<std::string, std::string>> files;
    /// True for a directory to make (and remove afterwards); false for an existing one
    /// that is only written: the v2 parent whose cgroup.subtree_control enables the
    /// controllers. Those stay enabled (disabling them could strip another child's limits).
    bool create = true;
  };
  std::vector<Dir> dirs;    ///< in creation order; removal goes in reverse
  std::string error;        ///< "" or why no cgroup can be made here
  std::string version;      ///< "v1" or "v2" ("" with an error)
  std::string description;  ///< for a user, e.g. "cgroup v1 cpu:/x (quota 0.50 CPUs), ..."
  bool ok() const { return error.empty(); }
};

/// Reads a file of the live system for the planner; nullopt when it cannot be read.
using CgroupFileReader = std::function<std::optional<std::string>(const std::string& path)>;

/// Plans a child cgroup `name` of this process's own cgroup in each hierarchy that
/// carries a controller for the limits asked for, from this process's mountinfo and
/// /proc/self/cgroup text. A v1 hierarchy with the controller wins over the unified
/// one (hybrid machines); co-mounted v1 controllers share one directory. `read_file`
/// reads the parents' cpuset.mems and cpuset.cpus (v1), cgroup.controllers,
/// cgroup.subtree_control and cpuset.cpus.effective (v2). Pure apart from `read_file`;
/// every input is untrusted and every failure is a plan with `error` set.
CgroupPlan plan_measure_cgroup(const std::string& mountinfo_text, const std::string& proc_self_cgroup_text,
                               const CgroupLimits& limits, const std::string& name, const CgroupFileReader& read_file);

/// A temporary cgroup made from a plan for this process; removed on destruction.
class MeasureCgroup {
 public:
  /// Plans a cgroup "torchdiag-measure-<pid>" (then "-2", "-3", ... within one process)
  /// from the live /proc/self files and creates its directories and files. Never throws
  /// and never returns null: when anything fails, ok() is false, why() says what ("no
  /// cgroup v1 cpu hierarchy or cgroup v2 mount for this process here", "mkdir
  /// /sys/fs/cgroup/cpu/x: Permission denied (not running as root)") and whatever was
  /// created is removed again.
  static std::unique_ptr<MeasureCgroup> create(const CgroupLimits& limits);
  /// Executes `plan` (for tests and callers that plan themselves).
  static std::unique_ptr<MeasureCgroup> create_from_plan(const CgroupPlan& plan);
  ~MeasureCgroup();
  MeasureCgroup(const MeasureCgroup&) = delete;
  MeasureCgroup& operator=(const MeasureCgroup&) = delete;

  bool ok() const { return why_.empty(); }
  const std::string& why() const { return why_; }
  /// The cgroup.procs file of each created directory: a child joins all of them.
  std::vector<std::string> procs_files() const;
  /// The directories created and not yet removed.
  const std::vector<std::string>& created_dirs() const { return created_; }
  /// What the cgroup applies, for a user (the plan's description).
  const std::string& describe() const { return description_; }
  /// Removes the created directories (newest first), retrying EBUSY for up to about a
  /// second each while reaped children leave. "" or what could not be removed; the
  /// destructor calls it and drops the answer. Calling it again is harmless.
  std::string remove();

 private:
  MeasureCgroup() = default;
  std::vector<std::string> created_;
  std::string why_;
  std::string description_;
};

/// Moves process `pid` (all its threads) into every one of `procs_files`. Join before
/// the child starts its work: run_process calls on_start before it writes the child's
/// stdin, so a worker that waits for its request is measured wholly inside.
/// "" on success, else what failed ("write '123' to /x/cgroup.procs: No space left on device").
std::string join_measure_cgroup(const std::vector<std::string>& procs_files, int pid);

}  // namespace torchdiag
