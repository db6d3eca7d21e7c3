#pragma once
#include <string>

#include "model/cgroup_facts.h"
#include "sys/fs_reader.h"

namespace torchdiag {

/// Finds the cgroup of the process whose proc directory is `proc_dir`
/// (paths::proc_dir(pid)) among this reader's cgroup mounts (proc/self/mountinfo) and
/// reads the CPU limits that apply to it: quota walked up to the mount point (tightest
/// wins), cpuset, weight, throttling and pressure. For another process the limits are
/// read only when its own cgroup directory is found (the mount point's limits would be
/// this process's). Never throws; missing or malformed files become reasons and warnings.
CgroupFacts probe_cgroup(const FsReader& fs, const std::string& proc_dir);

}  // namespace torchdiag
