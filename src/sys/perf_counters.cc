#include "sys/perf_counters.h"

#include <linux/perf_event.h>
#include <perfmon/pfmlib_perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

namespace torchdiag {
namespace {

long real_perf_open(void* attr, int pid, int cpu, int group_fd, unsigned long flags) {
  return ::syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
}

bool pfm_ready() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = pfm_initialize() == PFM_SUCCESS; });
  return ok;
}

/// The generic events of the default set, as perf(1) names them. Encoding them
/// directly skips pfm_initialize(), which scans every PMU table and costs
/// milliseconds: too much for `inspect` in an entrypoint. Values from
/// <linux/perf_event.h>; libpfm4 encodes the same names to the same pairs.
bool encode_generic(const std::string& name, perf_event_attr& attr) {
  struct Generic {
    const char* name;
    uint32_t type;
    uint64_t config;
  };
  static constexpr Generic kGeneric[] = {
      {"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
      {"cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK},
      {"context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
      {"cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
      {"page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
      {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
      {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
      {"cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
  };
  for (const auto& g : kGeneric) {
    if (name != g.name) continue;
    attr.type = g.type;
    attr.config = g.config;
    return true;
  }
  return false;
}

/// Type/config from the table above or libpfm4; the rest is ours. "" or libpfm4's error.
std::string encode(const std::string& name, perf_event_attr& attr) {
  std::memset(&attr, 0, sizeof attr);
  if (!encode_generic(name, attr)) {
    if (!pfm_ready()) return "libpfm4 failed to initialise";
    pfm_perf_encode_arg_t arg;
    std::memset(&arg, 0, sizeof arg);
    arg.attr = &attr;
    arg.size = sizeof arg;
    const int ret = pfm_get_os_event_encoding(name.c_str(), PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT, &arg);
    if (ret != PFM_SUCCESS) return pfm_strerror(ret);
  }
  attr.size = sizeof attr;
  attr.inherit = 1;
  attr.exclude_hv = 1;
  attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  return "";
}

}  // namespace

bool perf_supported_in_build() { return true; }

std::string check_perf_event_name(const std::string& name) {
  perf_event_attr attr;
  return encode(name, attr);
}

PerfCounters PerfCounters::open(const std::vector<std::string>& names, int pid, int paranoid,
                                PerfOpenFn open_fn) {
  if (!open_fn) open_fn = real_perf_open;
  PerfCounters out;
  for (const auto& name : names) {
    perf_event_attr attr;
    if (auto err = encode(name, attr); !err.empty()) {
      out.unavailable_.push_back({name, "libpfm4: " + err});
      continue;
    }
    attr.exclude_kernel = out.user_only_ ? 1 : 0;
    long fd = open_fn(&attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0 && errno == EACCES && !attr.exclude_kernel) {
      attr.exclude_kernel = 1;  // paranoid >= 2 allows user-space counting only
      fd = open_fn(&attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
      if (fd >= 0) out.user_only_ = true;
    }
    if (fd < 0) {
      out.unavailable_.push_back({name, explain_perf_errno(errno, paranoid)});
      continue;
    }
    out.open_.push_back({name, static_cast<int>(fd)});
  }
  return out;
}

PerfCounters::PerfCounters(PerfCounters&& other) noexcept { *this = std::move(other); }

PerfCounters& PerfCounters::operator=(PerfCounters&& other) noexcept {
  if (this != &other) {
    for (const auto& o : open_) ::close(o.fd);
    open_ = std::move(other.open_);
    unavailable_ = std::move(other.unavailable_);
    user_only_ = other.user_only_;
    other.open_.clear();
  }
  return *this;
}

PerfCounters::~PerfCounters() {
  for (const auto& o : open_) ::close(o.fd);
}

std::vector<PerfReading> PerfCounters::read() const {
  std::vector<PerfReading> out;
  for (const auto& o : open_) {
    uint64_t v[3] = {0, 0, 0};  // value, time enabled, time running
    if (::read(o.fd, v, sizeof v) != static_cast<ssize_t>(sizeof v)) continue;
    PerfReading r{o.name, static_cast<double>(v[0]), 1.0};
    if (v[2] > 0 && v[2] < v[1]) {
      r.running_fraction = static_cast<double>(v[2]) / static_cast<double>(v[1]);
      r.value = static_cast<double>(v[0]) / r.running_fraction;
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace torchdiag
