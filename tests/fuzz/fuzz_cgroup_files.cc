// The cgroup file parsers of src/probe/cgroup_files.h on arbitrary text: parse_cpu_max,
// parse_cpu_stat and parse_pressure read the whole input; parse_cfs_quota reads the
// first line as cpu.cfs_quota_us and the rest as cpu.cfs_period_us. Invariant: a
// limited quota has a positive quota and period, so quota.cpus() is finite and positive.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "probe/cgroup_files.h"

using torchdiag::fuzz::check;

namespace {

void check_quota(const torchdiag::QuotaParse& parsed) {
  if (!parsed.ok() || !parsed.quota.limited) return;
  check(parsed.quota.quota_us > 0 && parsed.quota.period_us > 0, "a limited quota is positive");
  const double cpus = parsed.quota.cpus();
  check(std::isfinite(cpus) && cpus > 0, "a limited quota gives a finite positive CPU count");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = torchdiag::fuzz::as_text(data, size);
  check_quota(torchdiag::parse_cpu_max(text));
  const auto newline = text.find('\n');
  const auto quota_text = text.substr(0, newline);
  const auto period_text =
      newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  check_quota(torchdiag::parse_cfs_quota(quota_text, period_text));
  if (const auto stat = torchdiag::parse_cpu_stat(text)) {
    check(std::isfinite(stat->throttled_s), "throttled time is finite");
  }
  if (const auto pressure = torchdiag::parse_pressure(text)) {
    check(std::isfinite(pressure->some_avg10), "pressure averages are finite");
  }
  return 0;
}
