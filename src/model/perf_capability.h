#pragma once
#include <optional>
#include <string>

namespace torchdiag {

/// Whether perf counters and sampling will work for this process, and why not.
struct PerfCapability {
  std::optional<int> paranoid;       ///< /proc/sys/kernel/perf_event_paranoid
  std::optional<int> seccomp_mode;   ///< Seccomp: in status (0 off, 1 strict, 2 filter)
  std::optional<bool> cap_perfmon;   ///< CAP_PERFMON (38) in CapEff
  std::optional<bool> cap_sys_admin; ///< CAP_SYS_ADMIN (21) in CapEff
  bool software_events = false;      ///< a context-switches counter could be opened
  std::string software_reason;
  bool hardware_events = false;      ///< a cycles counter could be opened
  std::string hardware_reason;
};

}  // namespace torchdiag
