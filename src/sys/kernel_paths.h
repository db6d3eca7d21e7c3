#pragma once
// Where the kernel's files live, relative to an FsReader's root. These and the
// reader's default root are the only places /proc and /sys are named, so every probe
// works the same on the live system and on a snapshot (--root).
#include <string>

namespace torchdiag::paths {

inline const std::string kProc = "/proc";
inline const std::string kSys = "/sys";

/// "/proc/self" for pid 0, else "/proc/PID".
inline std::string proc_dir(int pid = 0) { return kProc + (pid ? "/" + std::to_string(pid) : "/self"); }

inline const std::string kCpuDir = kSys + "/devices/system/cpu";
inline const std::string kNodeDir = kSys + "/devices/system/node";
inline const std::string kPerfParanoid = kProc + "/sys/kernel/perf_event_paranoid";
inline const std::string kPressureCpu = kProc + "/pressure/cpu";
inline const std::string kVmstat = kProc + "/vmstat";
inline const std::string kGovernorCpu0 = kCpuDir + "/cpu0/cpufreq/scaling_governor";

}  // namespace torchdiag::paths
