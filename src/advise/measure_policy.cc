#include "advise/measure_policy.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace torchdiag {
namespace {

double throttled_share(const BenchRow& row) {
  return row.counters.throttle ? row.counters.throttle->throttled_fraction() : 0.0;
}

std::string describe(const BenchRow& row) {
  return fmt::format("p50 {:.3f} ms, {:.1f} items/s, throttled in {:.0f}% of periods", 1e3 * row.latency.p50,
                     row.throughput_per_s, 100 * throttled_share(row));
}

std::vector<const BenchRow*> thread_rows(const std::vector<BenchRow>& rows) {
  std::vector<const BenchRow*> out;
  for (const auto& r : rows) {
    if (r.status == RowStatus::kOk && r.spec.threads && r.spec.allocator == Allocator::kGlibc) out.push_back(&r);
  }
  if (out.empty()) {
    for (const auto& r : rows) {
      if (r.status == RowStatus::kOk && r.spec.threads) out.push_back(&r);
    }
  }
  std::sort(out.begin(), out.end(), [](const BenchRow* a, const BenchRow* b) { return *a->spec.threads < *b->spec.threads; });
  return out;
}

}  // namespace

std::vector<int> measure_thread_candidates(const RecommendFacts& f) {
  const int demand = std::max(1, f.workers) * std::max(1, f.streams);
  const int share = intra_op_share(f.usable_threads, f.workers, f.streams);
  // Also measure up to the whole mask: that is where quota throttling shows.
  const int cap = std::max(share, f.affinity_cpus / demand);
  std::vector<int> out;
  for (int t = 1; t < cap; t *= 2) out.push_back(t);
  out.push_back(share);
  out.push_back(cap);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double measured_score(const BenchRow& row, const MeasureObjective& o) {
  const double t = std::clamp(throttled_share(row), 0.0, 0.99);
  if (!o.throughput) return row.latency.p50 * (1 + t);
  const double effective = row.throughput_per_s * (1 - t);
  return effective > 0 ? 1 / effective : std::numeric_limits<double>::infinity();
}

std::optional<ThreadDecision> choose_measured_threads(const std::vector<BenchRow>& rows,
                                                      const MeasureObjective& o) {
  const auto candidates = thread_rows(rows);
  if (candidates.empty()) return std::nullopt;
  double best = std::numeric_limits<double>::infinity();
  for (const auto* r : candidates) best = std::min(best, measured_score(*r, o));
  ThreadDecision d;
  const BenchRow* chosen = nullptr;
  for (const auto* r : candidates) {
    const bool within = measured_score(*r, o) <= best * (1 + o.tolerance);
    if (within && !chosen) chosen = r;
    const double off = 100 * (measured_score(*r, o) / best - 1);
    d.candidates.push_back({*r->spec.threads, "measured: " + describe(*r),
                            chosen == r ? "chosen: the fewest threads within the tolerance of the best"
                            : within   ? fmt::format("within {:.1f}% of the best but uses more threads", off)
                                       : fmt::format("{:.1f}% worse than the best", off),
                            chosen == r});
  }
  for (const auto& r : rows) {
    if (r.status != RowStatus::kOk && r.spec.threads) {
      d.candidates.push_back({*r.spec.threads, fmt::format("measured: {}", r.status), "rejected: " + r.error, false});
    }
  }
  d.threads = *chosen->spec.threads;
  d.reason = fmt::format("{} = the fewest intra-op threads within {:.0f}% of the best {} measured here ({}; "
                         "{} configurations, CFS throttling penalised)",
                         d.threads, 100 * o.tolerance, o.throughput ? "throughput" : "p50 latency",
                         describe(*chosen), candidates.size());
  return d;
}

std::vector<EnvSetting> measured_allocator_settings(const std::vector<BenchRow>& rows, int threads,
                                                    const MeasureObjective& o, const std::string& jemalloc_path) {
  const BenchRow* glibc = nullptr;
  const BenchRow* je = nullptr;
  for (const auto& r : rows) {
    if (r.status != RowStatus::kOk || r.spec.threads != threads) continue;
    if (r.spec.allocator == Allocator::kGlibc) glibc = &r;
    if (r.spec.allocator == Allocator::kJemalloc && r.jemalloc_active) je = &r;
  }
  if (!glibc || !je || jemalloc_path.empty()) return {};
  const double gain = measured_score(*glibc, o) / measured_score(*je, o) - 1;
  const bool faster = gain > o.tolerance;
  const bool no_worse = gain >= -o.tolerance;
  std::optional<double> rss_ratio;
  if (je->memory.peak_rss_bytes && glibc->memory.peak_rss_bytes && *glibc->memory.peak_rss_bytes > 0) {
    rss_ratio = static_cast<double>(*je->memory.peak_rss_bytes) / static_cast<double>(*glibc->memory.peak_rss_bytes);
  }
  const bool leaner = rss_ratio && *rss_ratio <= 0.9 && no_worse;
  if (!faster && !leaner) return {};
  const auto evidence = fmt::format("measured at {} threads: jemalloc {} vs glibc {}{}", threads, describe(*je),
                                    describe(*glibc),
                                    rss_ratio ? fmt::format(", peak RSS {:+.0f}%", 100 * (*rss_ratio - 1)) : "");
  return {{"LD_PRELOAD", jemalloc_path, SettingSource::kComputed, "jemalloc: " + evidence},
          {"MALLOC_CONF", "background_thread:true,metadata_thp:auto", SettingSource::kComputed,
           "jemalloc tuning paired with the preload (purges dirty pages in the background)"}};
}

}  // namespace torchdiag
