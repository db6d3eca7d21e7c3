#pragma once
// The one door to perf_event_open(2) for counting (perf_counters.cc) and sampling
// (perf_sampler.cc): the system call or a test's replacement, the user-space-only
// retry after EACCES, and the reason a failure gets. Also the one reader of
// perf_event_paranoid, which those reasons quote. Needs no libpfm4, so it is built
// with and without it (no stub twin).
#include <optional>
#include <string>
#include <string_view>

struct perf_event_attr;  // <linux/perf_event.h>: only the .cc files include it

namespace torchdiag {

class FsReader;

/// The perf_event_open entry point, replaceable by tests to inject errors: returns
/// a file descriptor, or -1 with errno set, like syscall(SYS_perf_event_open, ...).
using PerfOpenFn = long (*)(void* attr, int pid, int cpu, int group_fd, unsigned long flags);

/// What an errno from perf_event_open means here, with the fix. `paranoid` is
/// /proc/sys/kernel/perf_event_paranoid (or a negative number when unknown);
/// `other_process` when the event was for a task of another process.
std::string explain_perf_errno(int err, int paranoid, bool other_process = false);

/// perf_event_open(2)'s `pid`, `cpu` and `group_fd` arguments.
struct PerfOpenTarget {
  int pid = 0;        ///< 0 = the calling thread (with attr.inherit, threads it creates later too)
  int cpu = -1;       ///< -1 = whichever CPU the thread runs on, else that CPU only
  int group_fd = -1;  ///< -1 = a group of its own (a leader or a lone event), else the leader's fd
};

/// One event opened, or why not.
struct PerfOpenResult {
  int fd = -1;             ///< the event, close-on-exec; -1 on failure
  bool user_only = false;  ///< opened with exclude_kernel = 1
  int error = 0;           ///< errno of the last attempt when fd < 0, else 0
  std::string reason;      ///< explain_perf_errno(error, paranoid, pid != 0) when fd < 0, else ""
  bool ok() const { return fd >= 0; }
};

/// Opens events for one owner (a PerfCounters, a PerfSampler) and remembers that
/// kernel-side counting was refused, so later events ask for user space only at once.
class PerfOpener {
 public:
  /// `paranoid` only words the reasons (< 0 = unknown); `open_fn` null = the system call.
  explicit PerfOpener(int paranoid = -1, PerfOpenFn open_fn = nullptr);

  /// perf_event_open(attr, target, PERF_FLAG_FD_CLOEXEC). When kernel-side counting
  /// was refused before, attr.exclude_kernel is set first; else, after EACCES for an
  /// attr that counts the kernel (perf_event_paranoid >= 2 without CAP_PERFMON, see
  /// perf_event_open(2) "perf_event related configuration files"), it is retried
  /// once with exclude_kernel = 1. `attr` keeps the exclude_kernel of the last
  /// attempt. Any other errno fails at once (no retry). Never throws.
  PerfOpenResult open(perf_event_attr& attr, const PerfOpenTarget& target = {});

  /// Kernel-side counting was refused (EACCES) and a user-space-only open worked.
  bool user_only() const { return user_only_; }

 private:
  long call(perf_event_attr& attr, const PerfOpenTarget& target) const;

  int paranoid_;
  PerfOpenFn open_fn_;
  bool user_only_ = false;
};

/// The content of /proc/sys/kernel/perf_event_paranoid (Documentation/admin-guide/
/// sysctl/kernel.rst: -1 allows everything, 2 and above refuse kernel-side counting
/// to users without CAP_PERFMON; some distributions add 3 and 4): one integer with
/// optional surrounding whitespace. nullopt for anything else. Pure.
std::optional<int> parse_perf_paranoid(std::string_view text);

/// perf_event_paranoid read through `fs` (so --root snapshots work); nullopt when
/// the file is missing, unreadable or malformed.
std::optional<int> read_perf_paranoid(const FsReader& fs);

}  // namespace torchdiag
