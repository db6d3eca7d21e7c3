// What perf_event_open errors mean (the reasons of the one door, sys/perf_open.cc),
// and the default event set: shared by the counting code and its stub twin
// (sampling works without libpfm4, so its reasons must not depend on it).
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sys/perf_counters.h"
#include "sys/perf_open.h"

namespace torchdiag {

const std::vector<std::string>& default_perf_events() {
  static const std::vector<std::string> events = {"task-clock", "context-switches", "cpu-migrations",
                                                  "page-faults", "cycles", "instructions", "cache-misses"};
  return events;
}

std::string explain_perf_errno(int err, int paranoid, bool other_process) {
  const auto level = paranoid < 0 ? std::string("unknown") : std::to_string(paranoid);
  switch (err) {
    case EACCES:
      // For another process the kernel also checks ptrace access to it.
      if (other_process) {
        return fmt::format("permission denied (EACCES): sampling another process needs its owner's user id "
                           "(with perf_event_paranoid at most 2, here {}) or CAP_PERFMON and CAP_SYS_PTRACE",
                           level);
      }
      return fmt::format("permission denied (EACCES): perf_event_paranoid is {}; lower it "
                         "(sysctl kernel.perf_event_paranoid=1) or grant CAP_PERFMON",
                         level);
    case EPERM:
      return "blocked (EPERM): a seccomp profile or missing capability denies perf_event_open "
             "(Docker's default profile does): run with --cap-add PERFMON or a seccomp profile "
             "that allows it";
    case ENOENT:
    case EOPNOTSUPP:
      return fmt::format("not supported here ({}): no PMU for this event, typical in VMs",
                         err == ENOENT ? "ENOENT" : "EOPNOTSUPP");
    case ENOSYS:
      return "perf_event_open does not exist in this kernel (ENOSYS)";
    case EMFILE:
      return "too many open files (EMFILE)";
    case EINVAL:
      return "the kernel rejected the event attributes (EINVAL)";
    default:
      return fmt::format("perf_event_open failed: {}", std::strerror(err));
  }
}

}  // namespace torchdiag
