#include "advise/measure_policy.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "advise/search_policy.h"

namespace torchdiag {

PointResult point_result(const std::vector<BenchRow>& rows) {
  PointResult r;
  if (rows.empty()) {
    r.error = "no worker ran";
    return r;
  }
  double weighted_p50 = 0;
  int64_t calls = 0;
  int64_t rss = 0;
  bool rss_known = true;
  for (const auto& row : rows) {
    if (row.status != RowStatus::kOk) {
      r.error = fmt::format("{}{}", to_string(row.status), row.error.empty() ? "" : ": " + row.error);
      return r;
    }
    weighted_p50 += row.latency.p50 * static_cast<double>(row.iterations);
    calls += row.iterations;
    r.p99_s = std::max(r.p99_s, row.latency.p99);
    r.throughput_per_s += row.throughput_per_s;
    if (row.memory.peak_rss_bytes) {
      rss += *row.memory.peak_rss_bytes;
    } else {
      rss_known = false;
    }
    if (row.counters.throttle) r.throttled_fraction = std::max(r.throttled_fraction, row.counters.throttle->throttled_fraction());
    if (row.latency.p50 > 0 && row.iterations > 0) {
      const double spread = (row.latency.p90 - row.latency.p10) / row.latency.p50;
      r.noise = std::max(r.noise, 2 * spread / std::sqrt(static_cast<double>(row.iterations)));
    }
  }
  if (calls <= 0) {
    r.error = "no call was timed";
    return r;
  }
  r.ok = true;
  r.p50_s = weighted_p50 / static_cast<double>(calls);
  if (rss_known) r.peak_rss_bytes = rss;
  return r;
}

ThreadDecision decision_from_search(const SearchOutcome& s, const ThreadDecision& quick) {
  ThreadDecision d;
  for (size_t i = 0; i < s.steps.size(); ++i) {
    const auto& step = s.steps[i];
    const auto figure = step.result.ok ? objective_figure(step.result, s.objective) : "failed";
    d.candidates.push_back({step.point.threads, fmt::format("{}: {}", describe_point(step.point), figure),
                            s.chosen == i ? "chosen; " + step.verdict : step.verdict, s.chosen == i});
  }
  if (!s.chosen) {
    d.threads = quick.threads;
    d.reason = fmt::format("{} = the quick answer, because none of the {} measured configuration(s) kept the "
                           "constraints; {}",
                           quick.threads, s.steps.size(), quick.reason);
    return d;
  }
  const auto& best = s.steps[*s.chosen];
  d.threads = best.point.threads;
  d.reason = fmt::format("{} = measured: {} reached {} ({} of {} configuration(s) searched for {}; {}); the "
                         "fewest threads within the tolerance of the best",
                         d.threads, describe_point(best.point), objective_figure(best.result, s.objective),
                         *s.chosen + 1, s.steps.size(), to_string(s.objective), s.stop_reason);
  return d;
}

std::vector<EnvSetting> allocator_settings(const SearchPoint& chosen, const std::string& jemalloc_path,
                                           const std::string& why) {
  if (chosen.allocator != Allocator::kJemalloc || jemalloc_path.empty()) return {};
  return {{"LD_PRELOAD", jemalloc_path, SettingSource::kComputed, "jemalloc: " + why},
          {"MALLOC_CONF", kJemallocMallocConf, SettingSource::kComputed,
           "jemalloc tuning paired with the preload (purges dirty pages in the background)"}};
}

}  // namespace torchdiag
