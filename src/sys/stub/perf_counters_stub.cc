// Stub twin of sys/perf_counters.cc for builds without libpfm4: every counter is
// unavailable with the reason, so reports degrade instead of failing.
#include "sys/perf_counters.h"

namespace torchdiag {
namespace {
constexpr const char* kReason = "this torchdiag was built without libpfm4 (no perf counters)";
}

bool perf_supported_in_build() { return false; }

std::string check_perf_event_name(const std::string&) { return ""; }

PerfCounters PerfCounters::open(const std::vector<std::string>& names, int, int, PerfOpenFn) {
  PerfCounters out;
  for (const auto& n : names) out.unavailable_.push_back({n, kReason});
  return out;
}

PerfCounters::PerfCounters(PerfCounters&& other) noexcept { *this = std::move(other); }
PerfCounters& PerfCounters::operator=(PerfCounters&& other) noexcept {
  unavailable_ = std::move(other.unavailable_);
  return *this;
}
PerfCounters::~PerfCounters() = default;
std::vector<PerfReading> PerfCounters::read() const { return {}; }

}  // namespace torchdiag
