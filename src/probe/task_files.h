#pragma once
// Per-thread scheduling files of another process, parsed and read at one instant:
// /proc/PID/task/TID/{stat,schedstat,status,sched} (proc(5); the kernel's
// Documentation/scheduler/sched-stats.rst). Everything here is hostile input: a
// process names its threads itself, so names may hold spaces, parentheses and
// control characters, and any thread can vanish between two reads.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sys/fs_reader.h"
#include "util/strings.h"

namespace torchdiag {

/// The fields of /proc/PID/stat (or task/TID/stat) that watch uses.
struct TaskStat {
  std::string comm;            ///< between the first '(' and the last ')'
  char state = '?';            ///< R, S, D, Z, T, t, X, I, ...
  unsigned long long flags = 0;
  long long utime_ticks = 0;   ///< field 14, in clock ticks
  long long stime_ticks = 0;   ///< field 15
  long long num_threads = 0;   ///< field 20
  unsigned long long start_ticks = 0;  ///< field 22: start time after boot, identifies a PID's owner
  int processor = -1;          ///< field 39: the CPU it last ran on
  /// PF_KTHREAD (include/linux/sched.h): a kernel thread, not a user process.
  bool kernel_thread() const { return (flags & 0x00200000ULL) != 0; }
};

/// Parses a stat line; the comm is cut at the LAST ')' because it may contain ") ".
/// nullopt when the line has no "(...)" or too few fields.
std::optional<TaskStat> parse_task_stat(std::string_view text);

/// /proc/PID/task/TID/schedstat: "on-CPU ns, run-queue wait ns, timeslices".
struct Schedstat {
  uint64_t on_cpu_ns = 0;
  uint64_t wait_ns = 0;
  uint64_t timeslices = 0;
};

/// nullopt unless the text is three unsigned integers.
std::optional<Schedstat> parse_schedstat(std::string_view text);

/// "se.nr_migrations   :   12" from /proc/PID/task/TID/sched (CONFIG_SCHED_DEBUG).
std::optional<long long> parse_sched_migrations(std::string_view text);

/// One thread at one instant.
struct ThreadSample {
  int tid = 0;
  std::string name;      ///< printable: control characters replaced
  char state = '?';
  long long utime_ticks = 0;
  long long stime_ticks = 0;
  int processor = -1;
  std::optional<Schedstat> schedstat;  ///< nullopt without CONFIG_SCHEDSTATS
  long long voluntary_switches = 0;
  long long involuntary_switches = 0;
  std::optional<long long> migrations;  ///< nullopt without the sched file
};

/// All threads of a process at one instant, with the time it was taken.
struct ProcessSample {
  double t_s = 0;        ///< steady clock, seconds
  bool gone = false;     ///< the process no longer exists (or its PID belongs to another one now)
  std::vector<ThreadSample> threads;
};

/// Which optional files to read for every thread (switched off after the first miss,
/// so a kernel without them costs one failed open per process, not per thread).
struct SampleFiles {
  bool schedstat = true;
  bool sched = true;
};

/// Reads every thread of `pid` now. A thread that vanishes mid-read is left out.
/// `start_ticks` (TaskStat::start_ticks at discovery) guards against PID reuse: when
/// the process's stat shows another start time, or is gone, `gone` is set.
ProcessSample sample_process(const FsReader& fs, int pid, unsigned long long start_ticks,
                             SampleFiles& files);

/// /proc/PID/cmdline: NUL-separated arguments joined by spaces, printable, cut at
/// `max_bytes` with "..." appended.
std::string format_cmdline(std::string_view raw, size_t max_bytes = 4096);

}  // namespace torchdiag
