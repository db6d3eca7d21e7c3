#include "bench/row_builder.h"

#include <algorithm>

#include <fmt/format.h>

#include "bench/op_profile.h"
#include "bench/stats.h"
#include "bench/window_counters.h"

namespace torchdiag {

BenchRow failed_row(const BenchSpec& spec, RowStatus status, const std::string& error) {
  BenchRow row;
  row.spec = spec;
  row.status = status;
  row.error = error;
  row.model_label = spec.workload == Workload::kForward ? (spec.model.empty() ? "builtin" : spec.model) : "";
  return row;
}

BenchRow row_from_worker_result(const BenchSpec& spec, const WorkerResult& result) {
  BenchRow row = failed_row(spec, RowStatus::kOk, "");
  std::vector<double> samples;
  double wall = 0;
  for (const auto& rep : result.repetitions) {
    wall += rep.wall_s;
    for (const auto& stream : rep.latencies_s) samples.insert(samples.end(), stream.begin(), stream.end());
  }
  row.iterations = static_cast<int64_t>(samples.size());
  row.items_per_op = result.items_per_op;
  row.samples_s = keep_evenly(samples, kKeptSamples);
  row.latency = compute_latency_stats(std::move(samples));
  row.throughput_per_s = wall > 0 ? static_cast<double>(row.iterations * row.items_per_op) / wall : 0;
  row.intra_op_threads = result.intra_op_threads;
  row.interop_threads = result.interop_threads;
  row.jemalloc_active = result.jemalloc_active;
  row.load_s = result.load_s;
  row.warmup_s = result.warmup_s;
  if (result.counters) row.counters = *result.counters;
  row.memory.jemalloc = result.jemalloc;
  if (result.profile) {
    row.profile_sample = result.profile;
    row.profile = summarize_profile(*result.profile, spec.profile_shapes);
    if (!row.profile->error.empty()) row.warnings.push_back({"profile-failed", row.profile->error});
    if (row.profile->truncated) {
      row.warnings.push_back({"profile-truncated", fmt::format("the profile kept the first {} ranges only", kMaxProfileEvents)});
    }
  }
  if (row.iterations == 0) {
    row.status = RowStatus::kFailed;
    row.error = "no timed iterations";
  }
  return row;
}

namespace {

bool same_group(const BenchRow& a, const BenchRow& b) {
  return a.spec.workload == b.spec.workload && a.spec.streams == b.spec.streams &&
         a.spec.interop_threads == b.spec.interop_threads && a.spec.allocator == b.spec.allocator &&
         a.spec.model == b.spec.model;
}

void add_quality_warnings(BenchRow& row) {
  if (row.latency.cv > kWideSpreadCv) {
    row.warnings.push_back({"wide-spread", fmt::format("spread too wide to trust a ranking (cv {:.0f}%)",
                                                       100 * row.latency.cv)});
  }
  if (row.latency.outliers > 0) {
    row.warnings.push_back({"outliers", fmt::format("{} outlier call(s) of {} (beyond 3 scaled MADs)",
                                                    row.latency.outliers, row.iterations)});
  }
}

double cpu_per_op(const BenchRow& row) { return per_op(row.counters.cpu_time_s, row.iterations); }

const BenchRow* one_thread_row(const std::vector<BenchRow>& rows, const BenchRow& row) {
  for (const auto& other : rows) {
    if (other.status == RowStatus::kOk && other.spec.threads == 1 && same_group(row, other)) return &other;
  }
  return nullptr;
}

/// Where sampling gave no spin share: the extra CPU time per call compared with the
/// 1-thread row of the same group, as a share of this row's CPU time per call.
/// Appends to spin_reason when no proxy is possible, so run it once per row.
void apply_spin_proxy(const std::vector<BenchRow>& rows, BenchRow& row) {
  auto& c = row.counters;
  if (c.spin_method == SpinMethod::kSampling) return;
  const BenchRow* base = one_thread_row(rows, row);
  const double cpu = cpu_per_op(row);
  if (!base || cpu <= 0) {
    c.spin_fraction.reset();
    c.spin_method = SpinMethod::kUnavailable;
    c.spin_reason += std::string(c.spin_reason.empty() ? "" : "; ") +
                     (base ? "no CPU time measured for the proxy"
                           : "no 1-thread row of the same workload, streams and allocator for the proxy "
                             "(add 1 to --threads)");
    return;
  }
  c.spin_fraction = std::max(0.0, (cpu - cpu_per_op(*base)) / cpu);
  c.spin_method = SpinMethod::kProxy;  // spin_reason keeps why sampling was not used
}

}  // namespace

void finalize_rows(std::vector<BenchRow>& rows) {
  for (auto& row : rows) {
    if (row.status != RowStatus::kOk) continue;
    add_quality_warnings(row);
    apply_spin_proxy(rows, row);
    for (const auto& cur : rows) {
      if (cur.status == RowStatus::kOk && !cur.spec.threads && same_group(row, cur) && row.latency.p50 > 0) {
        row.speedup_vs_current = cur.latency.p50 / row.latency.p50;
      }
    }
  }
  for (auto& row : rows) {
    if (row.status != RowStatus::kOk) continue;
    bool best = true;
    for (const auto& other : rows) {
      if (other.status == RowStatus::kOk && other.spec.workload == row.spec.workload &&
          other.throughput_per_s > row.throughput_per_s) {
        best = false;
      }
    }
    row.best = best;
  }
}

}  // namespace torchdiag

namespace torchdiag {

std::vector<AllocatorComparison> compare_allocators(const std::vector<BenchRow>& rows) {
  std::vector<AllocatorComparison> out;
  const auto ratio = [](const std::optional<int64_t>& a, const std::optional<int64_t>& b) -> std::optional<double> {
    if (!a || !b || *b <= 0) return std::nullopt;
    return static_cast<double>(*a) / static_cast<double>(*b);
  };
  for (const auto& je : rows) {
    if (je.status != RowStatus::kOk || je.spec.allocator != Allocator::kJemalloc) continue;
    for (const auto& gl : rows) {
      if (gl.status != RowStatus::kOk || gl.spec.allocator != Allocator::kGlibc || gl.spec.threads != je.spec.threads ||
          gl.spec.workload != je.spec.workload || gl.spec.streams != je.spec.streams ||
          gl.spec.interop_threads != je.spec.interop_threads || gl.latency.p50 <= 0) {
        continue;
      }
      AllocatorComparison c;
      c.workload = je.spec.workload;
      c.threads = je.spec.threads;
      c.streams = je.spec.streams;
      c.peak_rss_ratio = ratio(je.memory.peak_rss_bytes, gl.memory.peak_rss_bytes);
      c.mean_rss_ratio = ratio(je.memory.mean_rss_bytes, gl.memory.mean_rss_bytes);
      c.p50_ratio = je.latency.p50 / gl.latency.p50;
      c.spread = std::max(je.latency.cv, gl.latency.cv);
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace torchdiag
