#pragma once
// What differs between nodes beyond CPU counts: kernel, boot flags, OS, CPU model and
// frequency policy, mitigations, the process's own speculation and seccomp state, the
// container runtime, transparent huge pages and scheduler tunables. Each fact carries
// its source or the reason it is unavailable.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/fact.h"

namespace torchdiag {

/// One CPU's frequency policy (sys/devices/system/cpu/cpuN/cpufreq/).
struct CpuFrequency {
  int cpu = 0;
  std::string governor;           ///< scaling_governor, "" when unreadable
  std::string driver;             ///< scaling_driver, "" when unreadable
  std::optional<long long> min_khz, max_khz, cur_khz;  ///< scaling_min/max/cur_freq
};

/// CPUs that share one frequency policy (governor, driver, limits), with their
/// current frequencies summarised: what reports show instead of one line per CPU.
struct FrequencyPolicy {
  std::vector<int> cpus;
  std::string governor, driver;
  std::optional<long long> min_khz, max_khz;
  std::optional<long long> cur_khz_min, cur_khz_max;
};
std::vector<FrequencyPolicy> group_frequencies(const std::vector<CpuFrequency>& cpus);

/// How the process runs inside a container, as far as files tell.
struct ContainerFacts {
  std::string runtime;              ///< "docker", "containerd", "cri-o", "podman", "systemd" or "" (none seen)
  std::vector<std::string> hints;   ///< the evidence: "/.dockerenv exists", "cgroup path has cri-containerd-<id>.scope"
  std::string kube_qos;             ///< "guaranteed", "burstable", "besteffort" from a kubepods path, else ""
  std::string pod_uid;              ///< from the kubepods path, else ""
  Fact<bool> cgroup_namespace;      ///< inferred from the cgroup path and the runtime hints
};

struct NodeFacts {
  // Kernel and OS
  Fact<std::string> kernel_release;              ///< proc/sys/kernel/osrelease
  Fact<std::string> kernel_version;              ///< proc/sys/kernel/version
  Fact<std::vector<std::string>> boot_flags;     ///< proc/cmdline, only flags that change scheduling or mitigations
  Fact<std::string> os;                          ///< etc/os-release PRETTY_NAME (the container's OS)

  // CPU (proc/cpuinfo: the first processor's block)
  Fact<std::string> cpu_model;                   ///< "model name" (ARM: "CPU part" and implementer)
  Fact<std::string> cpu_vendor;                  ///< vendor_id
  Fact<std::string> cpu_family_model;            ///< "family 6 model 143 stepping 8"
  Fact<std::string> microcode;                   ///< "0x2b000590"
  Fact<std::vector<std::string>> cpu_flags;      ///< those present among avx2, avx512*, amx*, ssbd, ... (sorted)
  Fact<std::string> hypervisor;                  ///< sys/hypervisor/type, or "yes (type unknown)" from the flag, or "none"
  Fact<std::vector<CpuFrequency>> frequency;     ///< every online CPU
  Fact<std::string> pstate;                      ///< "intel_pstate active", "amd_pstate passive", ...
  Fact<std::string> smt_control;                 ///< sys/devices/system/cpu/smt/control

  // Mitigations: sys/devices/system/cpu/vulnerabilities/<name> -> its line
  Fact<std::map<std::string, std::string>> vulnerabilities;

  // The process itself (this one, or --pid's): proc/PID/status
  Fact<std::string> speculation_store_bypass;    ///< "thread force mitigated", "globally mitigated", ...
  Fact<std::string> speculation_indirect_branch; ///< "conditional force disabled", ...
  Fact<int> seccomp_mode;                        ///< 0 off, 1 strict, 2 filter

  ContainerFacts container;

  // Memory and scheduler
  Fact<std::string> thp_enabled;                 ///< the [selected] word of transparent_hugepage/enabled
  Fact<std::string> thp_defrag;                  ///< ... and of transparent_hugepage/defrag
  std::map<std::string, std::string> sched_tunables;  ///< proc/sys/kernel/sched_* files that exist -> value
};

}  // namespace torchdiag
