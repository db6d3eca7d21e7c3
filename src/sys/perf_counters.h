#pragma once
// Counting perf events (perf_event_open(2)) for a process and every thread it
// creates later (inherit). Event names are encoded with libpfm4. This file has a
// stub twin (perf_counters_stub.cc) for builds without libpfm4.
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "sys/perf_open.h"  // PerfOpenFn, explain_perf_errno

namespace torchdiag {

/// The default counters of a bench row: software events work in most containers,
/// the last three need a hardware PMU (often missing in VMs).
const std::vector<std::string>& default_perf_events();

/// Whether this build can count at all, and why not.
bool perf_supported_in_build();

/// "" when libpfm4 can encode `name`, else libpfm4's message ("event not found").
std::string check_perf_event_name(const std::string& name);

struct PerfReading {
  std::string name;
  double value = 0;             ///< scaled by time enabled / time running
  double running_fraction = 1;  ///< < 1 when the kernel multiplexed the counter
};

struct PerfUnavailable {
  std::string name;
  std::string reason;
};

class PerfCounters {
 public:
  /// Opens each event for `pid` (0 = this process) with inherit, so threads created
  /// afterwards are counted. Kernel events are counted where allowed; after EACCES an
  /// event is retried user-space only. Failures land in unavailable(); never throws.
  /// Two or more software events form one event group, two or more PMU events
  /// another (kept apart so a busy PMU never multiplexes software counts), each read
  /// with one read(2); an event the kernel will not add to its group is opened alone.
  static PerfCounters open(const std::vector<std::string>& names, int pid, int paranoid,
                           PerfOpenFn open_fn = nullptr);
  PerfCounters() = default;
  PerfCounters(PerfCounters&& other) noexcept;
  PerfCounters& operator=(PerfCounters&& other) noexcept;
  PerfCounters(const PerfCounters&) = delete;
  PerfCounters& operator=(const PerfCounters&) = delete;
  ~PerfCounters();

  /// Cumulative values since open (all threads, including exited ones), in the order
  /// of the names; a counter whose read(2) fails is left out. One read(2) per group
  /// (a consistent snapshot of its members), then one per counter opened alone.
  std::vector<PerfReading> read() const;
  const std::vector<PerfUnavailable>& unavailable() const { return unavailable_; }
  bool user_only() const { return user_only_; }  ///< kernel-side counting was refused

 private:
  static constexpr size_t kGroupKinds = 2;  ///< software events, PMU events
  struct Group {
    int leader_fd = -1;    ///< also in open_ (closed there); -1 before the leader opened
    size_t members = 0;    ///< events in the group, leader included
    bool refused = false;  ///< a leader failed where the event opened alone
  };
  struct Open {
    std::string name;
    int fd;
    int group = -1;  ///< index into groups_ when read through its leader, else -1
  };
  void add(const std::string& name, perf_event_attr& attr, int pid, bool grouped, PerfOpener& opener);
  PerfOpenResult open_in_group(const perf_event_attr& attr, int pid, Group& group, PerfOpener& opener);

  std::vector<Open> open_;  ///< in the order of the names; group members in join order
  std::array<Group, kGroupKinds> groups_{};
  std::vector<PerfUnavailable> unavailable_;
  bool user_only_ = false;
};

}  // namespace torchdiag
