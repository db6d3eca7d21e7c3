#include "bench/window_counters.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "probe/cgroup.h"
#include "probe/cgroup_files.h"
#include "sys/fs_reader.h"
#include "sys/kernel_paths.h"
#include "sys/perf_open.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

struct Usage {
  double cpu_s = 0;
  long long vol = 0, invol = 0;
};

Usage self_usage() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  Usage u;
  u.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
  u.vol = ru.ru_nvcsw;
  u.invol = ru.ru_nivcsw;
  return u;
}

std::optional<CpuStat> read_stat(const std::string& path) {
  if (path.empty()) return std::nullopt;
  const auto f = FsReader().read(path);
  return f.ok() ? parse_cpu_stat(f.text) : std::nullopt;
}

std::unique_ptr<PerfSampler> make_sampler(bool sample_spin, PerfOpenFn open_fn) {
  if (!sample_spin) return nullptr;
  PerfSamplerOptions o;
  o.paranoid = read_perf_paranoid(FsReader()).value_or(-1);
  o.open_fn = open_fn;
  return std::make_unique<PerfSampler>(o);
}

int64_t as_count(uint64_t v) { return static_cast<int64_t>(v); }

}  // namespace

bool spin_sampling_switched_off() {
  const char* v = std::getenv("TORCHDIAG_NO_SAMPLING");
  return v && *v && std::string_view(v) != "0";
}

/// TORCHDIAG_NO_COUNTERS=1: open no perf counters (to measure what counting costs).
bool counting_switched_off() {
  const char* v = std::getenv("TORCHDIAG_NO_COUNTERS");
  return v && *v && std::string_view(v) != "0";
}


WindowCounterProbe::WindowCounterProbe(const std::vector<std::string>& events, PerfOpenFn open_fn,
                                       bool sample_spin)
    : perf_(counting_switched_off()
                ? PerfCounters()
                : PerfCounters::open(events.empty() ? default_perf_events() : events, 0, read_perf_paranoid(FsReader()).value_or(-1),
                                     open_fn)),
      sampler_(make_sampler(sample_spin, open_fn)) {
  const auto cg = probe_cgroup(FsReader(), paths::proc_dir());
  if (cg.cpu_stat.ok()) {
    stat_path_ = cg.cpu_stat.path;
  } else {
    stat_reason_ = cg.cpu_stat.reason + (cg.cpu_stat.path.empty() ? "" : " (" + cg.cpu_stat.path + ")");
  }
}

void WindowCounterProbe::start() {
  perf0_ = perf_.read();
  stat0_ = read_stat(stat_path_);
  const auto u = self_usage();
  cpu0_ = u.cpu_s;
  vol0_ = u.vol;
  invol0_ = u.invol;
  if (sampler_) {
    samples0_ = sampler_->counts();
    sampler_->enable();
  }
}

WindowCounters WindowCounterProbe::stop() {
  const auto u = self_usage();
  WindowCounters c;
  c.cpu_time_s = u.cpu_s - cpu0_;
  c.voluntary_switches = u.vol - vol0_;
  c.involuntary_switches = u.invol - invol0_;
  const auto perf1 = perf_.read();
  for (const auto& end : perf1) {
    const auto begin = std::find_if(perf0_.begin(), perf0_.end(), [&](const PerfReading& b) { return b.name == end.name; });
    if (begin == perf0_.end()) {  // unknown start: the delta is unknown, not the whole count
      c.perf_unavailable.emplace_back(end.name, "could not be read at the start of the timed window");
      continue;
    }
    c.perf.emplace_back(end.name, end.value - begin->value);
    c.perf_multiplexed = c.perf_multiplexed || end.running_fraction < 1;
  }
  for (const auto& begin : perf0_) {
    const auto same = [&](const PerfReading& e) { return e.name == begin.name; };
    if (std::none_of(perf1.begin(), perf1.end(), same)) {
      c.perf_unavailable.emplace_back(begin.name, "could not be read at the end of the timed window");
    }
  }
  for (const auto& missing : perf_.unavailable()) c.perf_unavailable.emplace_back(missing.name, missing.reason);
  c.perf_user_only = perf_.user_only();
  const auto stat1 = read_stat(stat_path_);
  if (stat0_ && stat1) {
    CpuStat d;
    d.nr_periods = stat1->nr_periods - stat0_->nr_periods;
    d.nr_throttled = stat1->nr_throttled - stat0_->nr_throttled;
    d.throttled_s = stat1->throttled_s - stat0_->throttled_s;
    c.throttle = d;
  } else {
    c.throttle_reason = !stat_reason_.empty() ? stat_reason_
                        : stat0_ ? "cpu.stat could not be read at the end of the timed window"
                                 : "cpu.stat could not be read at the start of the timed window";
  }
  if (sampler_) sampler_->disable();
  fill_spin(c);
  return c;
}

void WindowCounterProbe::fill_spin(WindowCounters& c) const {
  if (!sampler_ || !sampler_->available()) {
    c.spin_reason = sampler_ ? sampler_->unavailable_reason() : "sampling switched off (TORCHDIAG_NO_SAMPLING)";
    return;
  }
  const auto end = sampler_->counts();
  c.spin_samples_total = as_count(end.total - samples0_.total);
  c.spin_samples_openmp = as_count(end.in_openmp - samples0_.in_openmp);
  c.spin_samples_kernel = as_count(end.in_kernel - samples0_.in_kernel);
  c.spin_samples_lost = as_count(end.lost - samples0_.lost);
  if (c.spin_samples_total == 0) {
    c.spin_reason = "no cpu-clock samples in the timed window (shorter than a sampling period)";
    return;
  }
  const auto total = static_cast<double>(c.spin_samples_total);
  if (!sampler_->user_only()) c.kernel_fraction = static_cast<double>(c.spin_samples_kernel) / total;
  if (!sampler_->openmp_runtime_found()) {
    c.spin_reason = "no OpenMP runtime is loaded in the worker to attribute samples to";
    return;
  }
  c.spin_method = SpinMethod::kSampling;
  c.spin_fraction = static_cast<double>(c.spin_samples_openmp) / total;
  if (sampler_->user_only()) {
    c.spin_reason = "kernel samples refused (perf_event_paranoid): a share of user-space CPU time only";
  }
  if (c.spin_samples_lost > 0) {
    c.spin_reason += fmt::format("{}{} samples lost", c.spin_reason.empty() ? "" : "; ", c.spin_samples_lost);
  }
}

}  // namespace torchdiag
