#include "probe/perf_capability.h"

#include "probe/process_status.h"
#include "sys/kernel_paths.h"
#include "sys/perf_open.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

constexpr int kCapSysAdmin = 21;
constexpr int kCapPerfmon = 38;

void try_open(const char* event, int paranoid, PerfOpenFn open_fn, bool& ok, std::string& reason) {
  const auto c = PerfCounters::open({event}, 0, paranoid, open_fn);
  ok = c.unavailable().empty();
  reason = ok ? (c.user_only() ? "user-space only (kernel side refused)" : "") : c.unavailable()[0].reason;
}

}  // namespace

bool capability_set(const std::string& cap_eff_hex, int cap) {
  const auto hex = std::string(trim(cap_eff_hex));
  const int digit_from_right = cap / 4;
  if (digit_from_right >= static_cast<int>(hex.size())) return false;
  const char c = hex[hex.size() - 1 - static_cast<size_t>(digit_from_right)];
  const int nibble = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                     : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : 0;
  return (nibble >> (cap % 4)) & 1;
}

PerfCapability probe_perf_capability(const FsReader& fs, PerfOpenFn open_fn) {
  PerfCapability p;
  p.paranoid = read_perf_paranoid(fs);
  const auto status = fs.read(paths::proc_dir() + "/status");
  if (status.ok()) {
    if (const auto s = status_field(status.text, "Seccomp")) {
      if (const auto v = parse_int(*s)) p.seccomp_mode = static_cast<int>(*v);
    }
    if (const auto caps = status_field(status.text, "CapEff")) {
      p.cap_perfmon = capability_set(*caps, kCapPerfmon);
      p.cap_sys_admin = capability_set(*caps, kCapSysAdmin);
    }
  }
  if (!fs.is_live()) {
    p.software_reason = p.hardware_reason = "not tried under --root";
    return p;
  }
  try_open("context-switches", p.paranoid.value_or(-1), open_fn, p.software_events, p.software_reason);
  try_open("cycles", p.paranoid.value_or(-1), open_fn, p.hardware_events, p.hardware_reason);
  return p;
}

}  // namespace torchdiag
