#include "sys/perf_sampler.h"

#include <link.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "sys/affinity.h"
#include "sys/threadpool_libs.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

#if defined(__x86_64__)
constexpr uint64_t kKernelHalf = 0x800000000000ULL;  // first non-canonical user address
#else
constexpr uint64_t kKernelHalf = 1ULL << 63;
#endif

constexpr auto kDrainPeriod = std::chrono::milliseconds(50);

int collect_openmp(struct dl_phdr_info* info, size_t, void* data) {
  if (!info->dlpi_name || !info->dlpi_name[0]) return 0;
  const auto lib = classify_threadpool_lib(info->dlpi_name);
  if (!lib || lib->api != PoolApi::kOpenmp) return 0;
  auto* out = static_cast<std::vector<CodeRange>*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
    const uint64_t begin = info->dlpi_addr + ph.p_vaddr;
    out->push_back({begin, begin + ph.p_memsz});
  }
  return 0;
}

/// 2^k data pages per CPU: 8 (32 KiB) on small machines, fewer on large ones so
/// that all buffers together stay near 256 KiB (perf_event_mlock_kb is 516 by
/// default for unprivileged users). A drain every 50 ms needs about 1.2 KiB per CPU.
size_t data_pages_for(size_t cpus) {
  size_t pages = 1;
  while (pages * 2 <= 8 && pages * 2 * cpus <= 64) pages *= 2;
  return pages;
}

std::vector<int> default_cpus() {
  const auto mask = live_affinity(0);
  if (mask.ok() && !mask.value->empty()) return *mask.value;
  std::vector<int> all;
  const long n = ::sysconf(_SC_NPROCESSORS_CONF);
  for (int cpu = 0; cpu < n; ++cpu) all.push_back(cpu);
  return all;
}

/// A disabled, inherited `cpu-clock` sampling event; PerfOpener sets exclude_kernel.
perf_event_attr cpu_clock_attr(int frequency_hz) {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.freq = 1;
  attr.sample_freq = static_cast<uint64_t>(frequency_hz > 0 ? frequency_hz : 199);
  attr.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID;
  attr.disabled = 1;
  attr.inherit = 1;
  attr.exclude_hv = 1;
  return attr;
}

/// Copies `n` bytes at ring offset `pos` (which wraps at `size`, a power of two).
void copy_wrapped(const unsigned char* data, uint64_t size, uint64_t pos, void* dest, size_t n) {
  const uint64_t at = pos & (size - 1);
  const size_t first = static_cast<size_t>(std::min<uint64_t>(n, size - at));
  std::memcpy(dest, data + at, first);
  if (first < n) std::memcpy(static_cast<unsigned char*>(dest) + first, data, n - first);
}

}  // namespace

std::vector<CodeRange> openmp_code_ranges() {
  std::vector<CodeRange> out;
  ::dl_iterate_phdr(collect_openmp, &out);
  return out;
}

std::vector<CodeRange> openmp_code_ranges_in_maps(std::string_view maps_text) {
  std::vector<CodeRange> out;
  for (const auto line : split(maps_text, '\n')) {
    const auto fields = split_ws(line);
    // "begin-end perms offset dev inode path"
    if (fields.size() < 6 || fields[1].size() < 3 || fields[1][2] != 'x') continue;
    const auto start = static_cast<size_t>(fields[5].data() - line.data());
    const auto lib = classify_threadpool_lib(trim(line.substr(start)));
    if (!lib || lib->api != PoolApi::kOpenmp) continue;
    const auto dash = fields[0].find('-');
    if (dash == std::string_view::npos) continue;
    const auto begin = parse_hex_u64(fields[0].substr(0, dash));
    const auto end = parse_hex_u64(fields[0].substr(dash + 1));
    if (begin && end && *begin < *end) out.push_back({*begin, *end});
  }
  return out;
}

SampleSite classify_sample(uint64_t ip, uint16_t misc_cpumode, const std::vector<CodeRange>& openmp) {
  if (misc_cpumode == PERF_RECORD_MISC_KERNEL) return SampleSite::kKernel;
  if (misc_cpumode == PERF_RECORD_MISC_CPUMODE_UNKNOWN && ip >= kKernelHalf) return SampleSite::kKernel;
  for (const auto& r : openmp) {
    if (ip >= r.begin && ip < r.end) return SampleSite::kOpenmp;
  }
  return SampleSite::kOther;
}

PerfSampler::PerfSampler(const PerfSamplerOptions& options) { open_all(options); }

PerfSampler::~PerfSampler() {
  disable();
  close_all();
}

void PerfSampler::open_all(const PerfSamplerOptions& options) {
  options_ = options;
  opener_ = std::make_unique<PerfOpener>(options.paranoid, options.open_fn);
  if (options.pid > 0) {
    for (int tid : options.tids) add_thread(tid);
    if (rings_.empty() && reason_.empty()) reason_ = "the process has no thread left to sample";
    if (!reason_.empty()) close_all();
    return;
  }
  const auto cpus = options.cpus.empty() ? default_cpus() : options.cpus;
  if (cpus.empty()) {
    reason_ = "no CPU to sample on (empty affinity mask)";
    return;
  }
  const size_t pages = data_pages_for(cpus.size());
  for (int cpu : cpus) {
    if (open_one({0, cpu, -1}, pages, reason_) != 0) {
      close_all();
      return;
    }
  }
}

int PerfSampler::open_one(const PerfOpenTarget& target, size_t data_pages, std::string& why) {
  auto attr = cpu_clock_attr(options_.frequency_hz);
  attr.inherit = target.pid == 0 ? 1 : 0;
  const auto opened = opener_->open(attr, target);
  user_only_ = opener_->user_only();
  if (!opened.ok()) {
    why = (target.pid ? fmt::format("cpu-clock sampling of thread {}: ", target.pid) : "cpu-clock sampling: ") +
          opened.reason;
    return opened.error ? opened.error : -1;
  }
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  Ring ring{opened.fd, nullptr, (1 + data_pages) * page};
  ring.base = ::mmap(nullptr, ring.bytes, PROT_READ | PROT_WRITE, MAP_SHARED, ring.fd, 0);
  if (ring.base == MAP_FAILED) {
    const int err = errno;
    ::close(ring.fd);
    const auto where = target.pid ? fmt::format("thread {}", target.pid) : fmt::format("CPU {}", target.cpu);
    why = fmt::format("cpu-clock sampling: cannot map the sample buffer of {} ({}){}", where,
                      std::strerror(err),
                      err == EPERM ? ": raise kernel.perf_event_mlock_kb or RLIMIT_MEMLOCK" : "");
    return -1;
  }
  std::lock_guard<std::mutex> lock(mu_);
  rings_.push_back(ring);
  return 0;
}

void PerfSampler::add_thread(int tid) {
  if (options_.pid <= 0 || tid <= 0 || !opener_ || !reason_.empty()) return;
  if (!sampled_tids_.insert(tid).second) return;  // tried once: a thread that failed is not retried
  if (rings_.size() >= options_.max_threads) {
    ++unsampled_;
    return;
  }
  const bool first = rings_.empty();
  std::string why;
  const int err = open_one({tid, -1, -1}, 1, why);
  if (err == 0) {
    if (enabled_) ::ioctl(rings_.back().fd, PERF_EVENT_IOC_ENABLE, 0);
    return;
  }
  if (err == ESRCH) return;  // the thread exited before we got to it
  if (first && reason_.empty()) {
    reason_ = why;  // the very first open decides whether sampling works at all
  } else {
    ++unsampled_;
  }
}

size_t PerfSampler::unsampled_threads() const { return unsampled_; }

void PerfSampler::close_all() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& r : rings_) {
    ::munmap(r.base, r.bytes);
    ::close(r.fd);
  }
  rings_.clear();
}

void PerfSampler::enable() {
  if (!available() || enabled_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    openmp_ = options_.pid > 0 ? options_.openmp_ranges : openmp_code_ranges();
  }
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = false;
  }
  drainer_ = std::thread([this] { drain_loop(); });
  // On the parent event, ENABLE also reaches the events inherited by existing threads.
  for (const auto& r : rings_) ::ioctl(r.fd, PERF_EVENT_IOC_ENABLE, 0);
  enabled_ = true;
}

void PerfSampler::disable() {
  if (!enabled_) return;
  for (const auto& r : rings_) ::ioctl(r.fd, PERF_EVENT_IOC_DISABLE, 0);
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  drainer_.join();
  drain_all();
  enabled_ = false;
}

SampleCounts PerfSampler::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

bool PerfSampler::openmp_runtime_found() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !openmp_.empty();
}

void PerfSampler::drain_loop() {
  drain_tid_ = static_cast<long>(::syscall(SYS_gettid));  // its own samples are not the workload's
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stop_) {
    if (stop_cv_.wait_for(lock, kDrainPeriod, [this] { return stop_; })) break;
    lock.unlock();
    drain_all();
    lock.lock();
  }
}

void PerfSampler::drain_all() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& r : rings_) drain_ring(r);
}

void PerfSampler::drain_ring(Ring& ring) {
  auto* meta = static_cast<perf_event_mmap_page*>(ring.base);
  const uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
  uint64_t tail = meta->data_tail;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const auto* data =
      static_cast<const unsigned char*>(ring.base) + (meta->data_offset ? meta->data_offset : page);
  const uint64_t size = meta->data_size ? meta->data_size : ring.bytes - page;
  unsigned char record[256];
  while (tail + sizeof(perf_event_header) <= head) {
    perf_event_header h;
    copy_wrapped(data, size, tail, &h, sizeof h);
    if (h.size < sizeof h || tail + h.size > head) {
      tail = head;  // a torn or corrupt record: skip to what the kernel wrote last
      break;
    }
    const size_t n = std::min<size_t>(h.size, sizeof record);
    copy_wrapped(data, size, tail, record, n);
    count_record(record, n);
    tail += h.size;
  }
  __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

void PerfSampler::count_record(const unsigned char* record, size_t size) {
  perf_event_header h;
  std::memcpy(&h, record, sizeof h);
  const unsigned char* body = record + sizeof h;
  if (h.type == PERF_RECORD_LOST && size >= sizeof h + 16) {
    uint64_t lost = 0;  // struct { u64 id; u64 lost; }
    std::memcpy(&lost, body + 8, sizeof lost);
    counts_.lost += lost;
    return;
  }
  if (h.type != PERF_RECORD_SAMPLE || size < sizeof h + 16) return;
  uint64_t ip = 0;  // PERF_SAMPLE_IP then PERF_SAMPLE_TID: { u64 ip; u32 pid, tid; }
  uint32_t tid = 0;
  std::memcpy(&ip, body, sizeof ip);
  std::memcpy(&tid, body + 12, sizeof tid);
  if (static_cast<long>(tid) == drain_tid_.load()) return;
  ++counts_.total;
  const auto mode = static_cast<uint16_t>(h.misc & PERF_RECORD_MISC_CPUMODE_MASK);
  const auto site = classify_sample(ip, mode, openmp_);
  if (site == SampleSite::kOpenmp) ++counts_.in_openmp;
  if (site == SampleSite::kKernel) ++counts_.in_kernel;
}

}  // namespace torchdiag
