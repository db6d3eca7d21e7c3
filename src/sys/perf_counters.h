#pragma once
// Counting perf events (perf_event_open(2)) for a process and every thread it
// creates later (inherit). Event names are encoded with libpfm4. This file has a
// stub twin (perf_counters_stub.cc) for builds without libpfm4.
#include <string>
#include <vector>

namespace torchdiag {

/// The default counters of a bench row: software events work in most containers,
/// the last three need a hardware PMU (often missing in VMs).
const std::vector<std::string>& default_perf_events();

/// Whether this build can count at all, and why not.
bool perf_supported_in_build();

/// "" when libpfm4 can encode `name`, else libpfm4's message ("event not found").
std::string check_perf_event_name(const std::string& name);

/// What an errno from perf_event_open means here, with the fix. `paranoid` is
/// /proc/sys/kernel/perf_event_paranoid (or a negative number when unknown).
std::string explain_perf_errno(int err, int paranoid);

struct PerfReading {
  std::string name;
  double value = 0;             ///< scaled by time enabled / time running
  double running_fraction = 1;  ///< < 1 when the kernel multiplexed the counter
};

struct PerfUnavailable {
  std::string name;
  std::string reason;
};

/// The perf_event_open entry point, replaceable by tests to inject errors.
using PerfOpenFn = long (*)(void* attr, int pid, int cpu, int group_fd, unsigned long flags);

class PerfCounters {
 public:
  /// Opens each event for `pid` (0 = this process) with inherit, so threads created
  /// afterwards are counted. Kernel events are counted where allowed; after EACCES an
  /// event is retried user-space only. Failures land in unavailable(); never throws.
  static PerfCounters open(const std::vector<std::string>& names, int pid, int paranoid,
                           PerfOpenFn open_fn = nullptr);
  PerfCounters() = default;
  PerfCounters(PerfCounters&& other) noexcept;
  PerfCounters& operator=(PerfCounters&& other) noexcept;
  PerfCounters(const PerfCounters&) = delete;
  PerfCounters& operator=(const PerfCounters&) = delete;
  ~PerfCounters();

  /// Cumulative values since open (all threads, including exited ones).
  std::vector<PerfReading> read() const;
  const std::vector<PerfUnavailable>& unavailable() const { return unavailable_; }
  bool user_only() const { return user_only_; }  ///< kernel-side counting was refused

 private:
  struct Open {
    std::string name;
    int fd;
  };
  std::vector<Open> open_;
  std::vector<PerfUnavailable> unavailable_;
  bool user_only_ = false;
};

}  // namespace torchdiag
