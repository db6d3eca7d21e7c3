#include "sys/perf_counters.h"

#include <linux/perf_event.h>
#include <perfmon/pfmlib_perf_event.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>

namespace torchdiag {
namespace {

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

/// Which group an event may join: 0 for the kernel's software PMUs, 1 for the rest.
/// The kernel would move a mixed group onto the hardware PMU, where a busy PMU
/// multiplexes it, and software counts would stop being exact.
size_t group_kind(const perf_event_attr& attr) {
  return attr.type == PERF_TYPE_SOFTWARE || attr.type == PERF_TYPE_TRACEPOINT ? 0 : 1;
}

struct Encoded {
  std::string name;
  perf_event_attr attr;
  std::string error;  ///< libpfm4's message, "" when encoded
};

std::vector<Encoded> encode_all(const std::vector<std::string>& names) {
  std::vector<Encoded> out(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    out[i].name = names[i];
    out[i].error = encode(names[i], out[i].attr);
  }
  return out;
}

/// `value` scaled up by time enabled / time running when the kernel multiplexed it.
PerfReading scaled(const std::string& name, uint64_t value, uint64_t enabled, uint64_t running) {
  PerfReading r{name, static_cast<double>(value), 1.0};
  if (running > 0 && running < enabled) {
    r.running_fraction = static_cast<double>(running) / static_cast<double>(enabled);
    r.value = static_cast<double>(value) / r.running_fraction;
  }
  return r;
}

/// One counter opened alone: { u64 value, time_enabled, time_running }.
std::optional<PerfReading> read_alone(const std::string& name, int fd) {
  uint64_t v[3] = {0, 0, 0};
  if (::read(fd, v, sizeof v) != static_cast<ssize_t>(sizeof v)) return std::nullopt;
  return scaled(name, v[0], v[1], v[2]);
}

struct GroupSnapshot {
  std::vector<uint64_t> values;  ///< empty when the group could not be read
  uint64_t enabled = 0, running = 0;
};

/// One read(2) of a leader opened with PERF_FORMAT_GROUP (perf_event_open(2),
/// "Reading results"): { u64 nr, time_enabled, time_running; u64 value[nr]; }, the
/// values in the order the members joined, the times shared by the whole group.
GroupSnapshot read_group(int leader_fd, size_t members) {
  GroupSnapshot s;
  if (leader_fd < 0 || members == 0) return s;
  std::vector<uint64_t> buf(3 + members);
  const size_t bytes = buf.size() * sizeof(uint64_t);
  if (::read(leader_fd, buf.data(), bytes) != static_cast<ssize_t>(bytes) || buf[0] != members) return s;
  s.enabled = buf[1];
  s.running = buf[2];
  s.values.assign(buf.begin() + 3, buf.end());
  return s;
}

}  // namespace

bool perf_supported_in_build() { return true; }

std::string check_perf_event_name(const std::string& name) {
  perf_event_attr attr;
  return encode(name, attr);
}

PerfCounters PerfCounters::open(const std::vector<std::string>& names, int pid, int paranoid,
                                PerfOpenFn open_fn) {
  auto events = encode_all(names);
  std::array<size_t, kGroupKinds> per_kind{};
  for (const auto& e : events) {
    if (e.error.empty()) ++per_kind[group_kind(e.attr)];
  }
  PerfCounters out;
  PerfOpener opener(paranoid, open_fn);
  for (auto& e : events) {
    if (!e.error.empty()) {
      out.unavailable_.push_back({e.name, "libpfm4: " + e.error});
      continue;
    }
    out.add(e.name, e.attr, pid, per_kind[group_kind(e.attr)] > 1, opener);
  }
  out.user_only_ = opener.user_only();
  return out;
}

/// Joins the group of the event's kind (as its leader when it has none yet), else,
/// when the kernel refuses that or `grouped` is false, opens the event alone: an
/// event that counts alone is never lost to grouping, and a failure has the reason
/// a lone open would give.
void PerfCounters::add(const std::string& name, perf_event_attr& attr, int pid, bool grouped,
                       PerfOpener& opener) {
  const size_t kind = group_kind(attr);
  Group* group = grouped ? &groups_[kind] : nullptr;
  if (group && !group->refused) {
    const bool leading = group->leader_fd < 0;
    const auto joined = open_in_group(attr, pid, *group, opener);
    if (joined.ok()) {
      open_.push_back({name, joined.fd, static_cast<int>(kind)});
      return;
    }
    // A leader differs from a lone event only by PERF_FORMAT_GROUP, refused with EINVAL.
    if (leading && joined.error != EINVAL) {
      unavailable_.push_back({name, joined.reason});
      return;
    }
  }
  const auto alone = opener.open(attr, {pid, -1, -1});
  if (!alone.ok()) {
    unavailable_.push_back({name, alone.reason});
    return;
  }
  // A leader refused where a lone event opens: PERF_FORMAT_GROUP with inherit is
  // EINVAL before Linux 4.13 (commit ba5213ae6b88). Stop trying this group.
  if (group && group->leader_fd < 0) group->refused = true;
  open_.push_back({name, alone.fd, -1});
}

PerfOpenResult PerfCounters::open_in_group(const perf_event_attr& attr, int pid, Group& group,
                                           PerfOpener& opener) {
  perf_event_attr member = attr;
  if (group.leader_fd < 0) member.read_format |= PERF_FORMAT_GROUP;
  const auto r = opener.open(member, {pid, -1, group.leader_fd});
  if (r.ok()) {
    if (group.leader_fd < 0) group.leader_fd = r.fd;
    ++group.members;
  }
  return r;
}

PerfCounters::PerfCounters(PerfCounters&& other) noexcept { *this = std::move(other); }

PerfCounters& PerfCounters::operator=(PerfCounters&& other) noexcept {
  if (this != &other) {
    for (const auto& o : open_) ::close(o.fd);
    open_ = std::move(other.open_);
    unavailable_ = std::move(other.unavailable_);
    groups_ = other.groups_;
    user_only_ = other.user_only_;
    other.open_.clear();
    other.groups_ = {};
  }
  return *this;
}

PerfCounters::~PerfCounters() {
  for (const auto& o : open_) ::close(o.fd);
}

std::vector<PerfReading> PerfCounters::read() const {
  std::array<GroupSnapshot, kGroupKinds> snapshots;
  for (size_t k = 0; k < kGroupKinds; ++k) snapshots[k] = read_group(groups_[k].leader_fd, groups_[k].members);
  std::array<size_t, kGroupKinds> next{};
  std::vector<PerfReading> out;
  for (const auto& o : open_) {
    if (o.group < 0) {
      if (auto r = read_alone(o.name, o.fd)) out.push_back(*r);
      continue;
    }
    const auto& s = snapshots[static_cast<size_t>(o.group)];
    const size_t i = next[static_cast<size_t>(o.group)]++;
    if (i < s.values.size()) out.push_back(scaled(o.name, s.values[i], s.enabled, s.running));
  }
  return out;
}

}  // namespace torchdiag
