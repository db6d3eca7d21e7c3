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

// Node facts (probe/node_facts.cc): kernel, CPU policy, mitigations, THP, sysctls.
inline const std::string kOsRelease = kProc + "/sys/kernel/osrelease";
inline const std::string kKernelVersion = kProc + "/sys/kernel/version";
inline const std::string kKernelSysctlDir = kProc + "/sys/kernel";
inline const std::string kCmdline = kProc + "/cmdline";
inline const std::string kCpuinfo = kProc + "/cpuinfo";
inline const std::string kVulnerabilitiesDir = kCpuDir + "/vulnerabilities";
inline const std::string kSmtControl = kCpuDir + "/smt/control";
inline const std::string kIntelPstateStatus = kCpuDir + "/intel_pstate/status";
inline const std::string kAmdPstateStatus = kCpuDir + "/amd_pstate/status";
inline const std::string kHypervisorType = kSys + "/hypervisor/type";
inline const std::string kThpEnabled = kSys + "/kernel/mm/transparent_hugepage/enabled";
inline const std::string kThpDefrag = kSys + "/kernel/mm/transparent_hugepage/defrag";

}  // namespace torchdiag::paths
