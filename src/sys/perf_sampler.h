#pragma once
// Where the CPU time of this process goes: software `cpu-clock` sampling with
// perf_event_open(2) of this process and every thread it creates later (inherit).
// Each sample's instruction pointer is attributed to the loaded OpenMP runtime (by
// the address ranges of its executable segments: names of hidden spin functions are
// unreliable in stripped libraries), to the kernel, or to anything else.
//
// Two targets:
// - this process (bench's worker): an inherited sampling event cannot be mmapped with
//   cpu=-1, so one event per CPU of this process's affinity mask is opened;
// - another process (watch): one event per thread (pid=TID, cpu=-1, no inherit), and
//   one more for each thread the caller finds later (add_thread).
// Each event has its own ring buffer, drained by a small background thread while
// sampling is enabled.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sys/perf_counters.h"
#include "sys/perf_open.h"

namespace torchdiag {

/// One executable address range [begin, end) of a loaded object.
struct CodeRange {
  uint64_t begin = 0;
  uint64_t end = 0;
};

/// Executable PT_LOAD segments (PF_X) of every loaded object whose basename
/// classify_threadpool_lib() calls api "openmp" (libgomp, libiomp5, libomp and
/// renamed wheel copies), from dl_iterate_phdr. Empty when none is loaded.
std::vector<CodeRange> openmp_code_ranges();

/// The same for another process, from its /proc/PID/maps text: the executable
/// ("r-xp") mappings of OpenMP runtimes. Pure.
std::vector<CodeRange> openmp_code_ranges_in_maps(std::string_view maps_text);

/// Where one sample landed.
enum class SampleSite { kOpenmp, kKernel, kOther };

/// Attributes a sample: the kernel when `misc_cpumode` (header.misc &
/// PERF_RECORD_MISC_CPUMODE_MASK) says so, or, when the mode is unknown (0), when the
/// IP lies in the x86-64 kernel half (>= 0x800000000000); else the OpenMP runtime
/// when the IP is inside one of `openmp`; else other. Pure.
SampleSite classify_sample(uint64_t ip, uint16_t misc_cpumode, const std::vector<CodeRange>& openmp);

/// Sample counts since construction (only enabled time produces samples).
struct SampleCounts {
  uint64_t total = 0;      ///< samples attributed (the drain thread's own are skipped)
  uint64_t in_openmp = 0;  ///< IP inside the OpenMP runtime's code
  uint64_t in_kernel = 0;  ///< kernel mode (syscalls: futex, sched_yield, page faults)
  uint64_t lost = 0;       ///< samples the kernel dropped (PERF_RECORD_LOST)
};

struct PerfSamplerOptions {
  /// Samples per second of CPU time, per thread. 199 (prime: no lockstep with the
  /// 100/250/300/1000 Hz scheduler tick) keeps the cost on bench's p50 near 0 in a VM
  /// where one sample costs ~25 us (997 Hz cost 5-17% there), and still gives ~300
  /// samples per busy thread over bench's default 1.5 s window.
  int frequency_hz = 199;
  int paranoid = -1;             ///< perf_event_paranoid for the reasons; < 0 unknown
  PerfOpenFn open_fn = nullptr;  ///< replaces perf_event_open (fault injection)
  std::vector<int> cpus;         ///< CPUs to open on; empty = this process's affinity
  /// 0: this process (and every thread it creates later). > 0: another process,
  /// sampled thread by thread: `tids` now and add_thread() later; `openmp_ranges`
  /// (from its maps) replace this process's own.
  int pid = 0;
  std::vector<int> tids;
  std::vector<CodeRange> openmp_ranges;
  /// Another process: at most this many threads get an event (file descriptors and
  /// locked ring memory grow with each); the rest count in unsampled_threads().
  size_t max_threads = 512;
};

class PerfSampler {
 public:
  /// Opens one disabled `cpu-clock` sampling event per CPU for the calling thread
  /// with inherit (so construct it before the threads to observe exist), or one per
  /// thread of another process; kernel samples included where allowed, else (EACCES)
  /// user space only. Every failure (open errno, mmap) leaves the sampler unavailable
  /// with a reason, except, for another process, a thread that has exited (ESRCH);
  /// never throws.
  explicit PerfSampler(const PerfSamplerOptions& options = {});
  ~PerfSampler();  ///< disables, stops the drain thread, unmaps and closes
  PerfSampler(const PerfSampler&) = delete;
  PerfSampler& operator=(const PerfSampler&) = delete;

  bool available() const { return reason_.empty(); }
  /// Why sampling is unavailable ("" when available), with the fix where known.
  const std::string& unavailable_reason() const { return reason_; }
  /// Kernel samples were refused (perf_event_paranoid >= 2 without CAP_PERFMON):
  /// in_kernel stays 0 and total counts user-space time only.
  bool user_only() const { return user_only_; }

  /// Starts sampling (all inherited child events too), refreshes the OpenMP code
  /// ranges and starts draining every ~50 ms. No-op when unavailable or enabled.
  void enable();
  /// Stops sampling, stops the drain thread and drains what is left. Idempotent.
  void disable();
  /// Another process: starts sampling thread `tid` too (enabled at once when the
  /// sampler is). Threads already sampled are ignored; a thread that has exited, or
  /// one past max_threads, is not sampled. No-op for this process's sampler.
  void add_thread(int tid);
  /// Threads of another process left without an event (past max_threads, or their
  /// open failed after the first ones worked).
  size_t unsampled_threads() const;
  /// Counts so far; exact after disable().
  SampleCounts counts() const;
  /// An OpenMP runtime was loaded at the last enable() (else in_openmp means nothing).
  bool openmp_runtime_found() const;

 private:
  struct Ring {
    int fd = -1;
    void* base = nullptr;
    size_t bytes = 0;  ///< mapped length: 1 metadata page + 2^k data pages
  };
  void open_all(const PerfSamplerOptions& options);
  /// Opens and maps one event; on failure returns the errno (or -1 for mmap) and sets
  /// `why`.
  int open_one(const PerfOpenTarget& target, size_t data_pages, std::string& why);
  void close_all();
  void drain_loop();
  void drain_all();
  void drain_ring(Ring& ring);
  void count_record(const unsigned char* record, size_t size);

  std::vector<Ring> rings_;
  PerfSamplerOptions options_;
  std::unique_ptr<PerfOpener> opener_;
  std::set<int> sampled_tids_;
  size_t unsampled_ = 0;
  std::string reason_;
  bool user_only_ = false;
  bool enabled_ = false;
  std::vector<CodeRange> openmp_;
  mutable std::mutex mu_;  ///< guards rings' tails, counts_ and openmp_
  SampleCounts counts_;
  std::atomic<long> drain_tid_{-1};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread drainer_;
};

}  // namespace torchdiag
