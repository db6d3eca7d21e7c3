#pragma once
// Which running processes `torchdiag watch` looks at: the PIDs a user names, or every
// process in this PID namespace that maps a thread-pool runtime or an inference
// framework (or whose command line matches a pattern).
#include <optional>
#include <string>
#include <vector>

#include "sys/fs_reader.h"
#include "sys/perf_sampler.h"
#include "util/expected.h"

namespace torchdiag {

/// A process found and identified once, before sampling starts.
struct WatchTarget {
  int pid = 0;
  unsigned long long start_ticks = 0;  ///< stat field 22: tells a reused PID apart
  std::string comm;                    ///< printable
  std::string cmdline;                 ///< printable, at most 4 KiB
  std::vector<std::string> mapped;     ///< file-backed paths in /proc/PID/maps
  std::vector<CodeRange> openmp_ranges;
  std::string maps_error;              ///< why maps could not be read ("" when it was)
};

/// Reads /proc/PID's identity and maps. Errors name the PID and the reason: "no such
/// process", "is a kernel thread (kthreadd)", "is a zombie (it has exited)".
Expected<WatchTarget> identify_process(const FsReader& fs, int pid);

/// True when the process maps an OpenMP runtime, a BLAS pool, libtorch, ONNX Runtime
/// or TensorFlow (renamed bundled copies included).
bool maps_thread_pool_runtime(const WatchTarget& target);

/// Every user process visible under the reader's /proc except `self_pid` that maps a
/// thread-pool runtime (when `runtimes`), or whose command line matches `match`
/// (ECMAScript regex, searched anywhere in the line). An invalid pattern is an error.
/// `scanned` gets the number of processes looked at.
Expected<std::vector<WatchTarget>> discover_processes(const FsReader& fs, int self_pid,
                                                      const std::optional<std::string>& match, bool runtimes,
                                                      int& scanned);

}  // namespace torchdiag
