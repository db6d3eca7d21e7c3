#include "report/bench_text.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "report/op_profile_render.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

std::vector<Workload> workloads_of(const BenchReport& r) {
  std::vector<Workload> out;
  for (const auto& row : r.rows) {
    if (std::find(out.begin(), out.end(), row.spec.workload) == out.end()) out.push_back(row.spec.workload);
  }
  return out;
}

std::string facts_line(const BenchReport& r) {
  const auto& c = r.context;
  std::string quota = c.cgroup.quota_cpus ? fmt::format("{:.2f}", *c.cgroup.quota_cpus) : "none";
  return fmt::format("LibTorch {} | {} CPUs online, affinity {}, quota {}, usable threads {} | host {} | {}\n",
                     r.torch_version, c.cpu.online.ok() ? c.cpu.online.value->size() : 0,
                     c.cpu.affinity.ok() ? c.cpu.affinity.value->size() : 0, quota,
                     c.capacity.usable_threads, r.host, r.date);
}

std::string interop_label(const BenchRow& row) {
  return row.spec.interop_threads ? std::to_string(*row.spec.interop_threads) : "default";
}

std::string migrations(const WindowCounters& c, int64_t n) {
  const auto m = c.perf_value("cpu-migrations");
  return m ? fmt::format("{:.2f}", per_op(*m, n)) : "-";
}

/// "12%" sampled, "~12%" for the proxy, "-" when unknown.
std::string spin_cell(const WindowCounters& c) {
  if (!c.spin_fraction) return "-";
  return fmt::format("{}{:.0f}%", c.spin_method == SpinMethod::kSampling ? "" : "~", 100 * *c.spin_fraction);
}

std::string kernel_cell(const WindowCounters& c) {
  return c.kernel_fraction ? fmt::format("{:.0f}%", 100 * *c.kernel_fraction) : "-";
}

std::string model_of(const BenchReport& r, Workload workload) {
  for (const auto& row : r.rows) {
    if (row.spec.workload == workload && !row.model_label.empty()) return " (model: " + row.model_label + ")";
  }
  return "";
}

/// The thread label, with "> usable" when the row runs more intra-op threads (asked
/// for, or picked by LibTorch for "current") than can run at once here.
std::string threads_cell(const BenchReport& r, const BenchRow& row) {
  const int threads = threads_run(row);
  const bool over = threads > r.context.capacity.usable_threads && r.context.capacity.usable_threads > 0;
  return threads_label(row.spec) + (over ? " > usable" : "");
}

std::string table(const BenchReport& r, Workload workload, bool verbose) {
  std::string out = fmt::format("\n{}{}\n", workload, model_of(r, workload));
  out += fmt::format("  {:<17} {:>7} {:>7} {:>9} {:>10} {:>10} {:>10} {:>6} {:>12} {:>8} {:>8} {:>8} {:>7} {:>5}",
                     "threads", "interop", "streams", "allocator", "p50", "p90", "p99", "cv",
                     "items/s", "speedup", "cs/op", "migr/op", "thrott", "spin");
  if (verbose) out += fmt::format(" {:>10} {:>10} {:>8} {:>6}", "min", "mean", "cpu/op", "kernel");
  out += "\n";
  for (const auto& row : r.rows) {
    if (row.spec.workload != workload) continue;
    const auto mark = row.best ? "*" : " ";
    if (row.status != RowStatus::kOk) {
      out += fmt::format(" {}{:<17} {:>7} {:>7} {:>9} {}: {}\n", mark, threads_cell(r, row),
                         interop_label(row), row.spec.streams, row.spec.allocator, row.status, row.error);
      continue;
    }
    const auto& c = row.counters;
    out += fmt::format(" {}{:<17} {:>7} {:>7} {:>9} {:>10} {:>10} {:>10} {:>5.1f}% {:>12.1f} {:>8} {:>8.2f} {:>8} {:>7} {:>5}",
                       mark, threads_cell(r, row), interop_label(row), row.spec.streams, row.spec.allocator,
                       format_duration(row.latency.p50), format_duration(row.latency.p90),
                       format_duration(row.latency.p99), 100 * row.latency.cv, row.throughput_per_s,
                       row.speedup_vs_current ? fmt::format("{:.2f}x", *row.speedup_vs_current) : "-",
                       per_op(c.context_switches(), row.iterations), migrations(c, row.iterations),
                       c.throttle ? fmt::format("{:.0f}%", 100 * c.throttle->throttled_fraction()) : "-",
                       spin_cell(c));
    if (verbose) {
      out += fmt::format(" {:>10} {:>10} {:>8} {:>6}", format_duration(row.latency.min),
                         format_duration(row.latency.mean), format_duration(per_op(c.cpu_time_s, row.iterations)),
                         kernel_cell(c));
    }
    out += "\n";
  }
  return out;
}

std::string bar_chart(const BenchReport& r, Workload workload) {
  double worst = 0;
  for (const auto& row : r.rows) {
    if (row.spec.workload == workload && row.status == RowStatus::kOk) worst = std::max(worst, row.latency.p50);
  }
  if (worst <= 0) return "";
  std::string out = "  p50 latency\n";
  for (const auto& row : r.rows) {
    if (row.spec.workload != workload || row.status != RowStatus::kOk) continue;
    const int width = std::max(1, static_cast<int>(std::lround(40 * row.latency.p50 / worst)));
    const auto label = fmt::format("t={} s={} {}", threads_label(row.spec), row.spec.streams, row.spec.allocator);
    out += fmt::format("  {:<24} {} {}\n", label, std::string(static_cast<size_t>(width), '#'),
                       format_duration(row.latency.p50));
  }
  return out;
}

std::string counters_text(const BenchReport& r) {
  std::string out = "\ncounters per call\n";
  std::set<std::string> reasons;
  for (const auto& row : r.rows) {
    if (row.status != RowStatus::kOk) continue;
    std::string line;
    for (const auto& [name, value] : row.counters.perf) {
      line += fmt::format(" {}={:.4g}", name, per_op(value, row.iterations));
    }
    out += fmt::format("  {} threads={} streams={}:{}{}\n", row.spec.workload, threads_label(row.spec),
                       row.spec.streams, line.empty() ? " none" : line,
                       row.counters.perf_multiplexed ? " (multiplexed, scaled)" : "");
    const auto& c = row.counters;
    const bool sampled = c.spin_method == SpinMethod::kSampling;
    out += fmt::format("    spin {} [{}]: {} cpu-clock samples, {} in the OpenMP runtime, {} in the kernel, {} lost{}\n",
                       spin_cell(c), c.spin_method, c.spin_samples_total, c.spin_samples_openmp,
                       c.spin_samples_kernel, c.spin_samples_lost,
                       sampled && !c.spin_reason.empty() ? "; " + c.spin_reason : "");
    if (!sampled && !c.spin_reason.empty()) reasons.insert("spin sampling: " + c.spin_reason);
    for (const auto& [name, reason] : row.counters.perf_unavailable) reasons.insert(name + ": " + reason);
    if (!row.counters.throttle) reasons.insert("throttling: " + row.counters.throttle_reason);
  }
  for (const auto& reason : reasons) out += "  unavailable " + reason + "\n";
  return out;
}

std::string memory_text(const BenchReport& r) {
  std::string out;
  for (const auto& row : r.rows) {
    if (row.status != RowStatus::kOk || !row.memory.peak_rss_bytes) continue;
    out += fmt::format("  {} threads={} streams={} {}: peak RSS {}, mean {}", row.spec.workload, threads_label(row.spec),
                       row.spec.streams, row.spec.allocator, mib_text(*row.memory.peak_rss_bytes),
                       mib_text(row.memory.mean_rss_bytes.value_or(0)));
    if (row.memory.jemalloc) {
      const auto& je = *row.memory.jemalloc;
      out += fmt::format("; jemalloc allocated {}, resident {}", mib_text(je.allocated), mib_text(je.resident));
    }
    out += "\n";
  }
  for (const auto& c : r.comparisons) {
    const auto pct = [](const std::optional<double>& v) {
      return v ? fmt::format("{:+.0f}%", 100 * (*v - 1)) : std::string("n/a");
    };
    // A latency gap smaller than the rows' own spread is not a gain to headline.
    const auto latency = c.p50_within_spread()
                             ? fmt::format("no clear difference ({} is within the spread, cv {:.0f}%)", pct(c.p50_ratio),
                                           100 * c.spread)
                             : pct(c.p50_ratio);
    out += fmt::format("  jemalloc vs glibc, {} threads={} streams={}: peak RSS {}, mean RSS {}, p50 latency {}\n",
                       c.workload, threads_label(c.threads), c.streams, pct(c.peak_rss_ratio), pct(c.mean_rss_ratio),
                       latency);
  }
  return out.empty() ? "" : "\nmemory\n" + out;
}

std::string warnings_text(const BenchReport& r) {
  std::string out;
  for (const auto& w : r.warnings) out += "warning: " + w.message + "\n";
  for (const auto& row : r.rows) {
    for (const auto& w : row.warnings) {
      out += fmt::format("warning: {} threads={} streams={} {}: {}\n", row.spec.workload,
                         threads_label(row.spec), row.spec.streams, row.spec.allocator, w.message);
    }
  }
  return out.empty() ? "" : "\n" + out;
}

}  // namespace

std::string format_duration(double s) {
  if (s >= 1) return fmt::format("{:.3f} s", s);
  if (s >= 1e-3) return fmt::format("{:.3f} ms", s * 1e3);
  return fmt::format("{:.1f} us", s * 1e6);
}

std::string bench_to_text(const BenchReport& r, bool verbose) {
  std::string out = facts_line(r);
  for (const auto& w : workloads_of(r)) out += table(r, w, verbose) + "\n" + bar_chart(r, w);
  out += "\n* best throughput per workload; speedup = p50 of 'current' / p50 of the row; "
         "cs/op = context switches per call; migr/op = CPU migrations per call; thrott = CFS periods throttled;\n"
         "  spin = share of CPU time in the OpenMP runtime, sampled (~: proxy, extra CPU time vs 1 thread)\n";
  out += memory_text(r);
  out += op_profile_text(r);
  if (verbose) out += counters_text(r);
  return out + warnings_text(r);
}

std::string bench_to_markdown(const BenchReport& r) {
  std::string out = "**torchdiag bench** — " + facts_line(r);
  for (const auto& w : workloads_of(r)) {
    out += fmt::format("\n### {}\n\n", w);
    out += "| threads | interop | streams | allocator | status | p50 | p90 | p99 | cv | items/s | speedup |\n";
    out += "|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& row : r.rows) {
      if (row.spec.workload != w) continue;
      const bool ok = row.status == RowStatus::kOk;
      out += fmt::format("| {}{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                         threads_cell(r, row), row.best ? " **best**" : "", interop_label(row),
                         row.spec.streams, row.spec.allocator, ok ? "ok" : fmt::format("{}: {}", row.status, row.error),
                         ok ? format_duration(row.latency.p50) : "-", ok ? format_duration(row.latency.p90) : "-",
                         ok ? format_duration(row.latency.p99) : "-",
                         ok ? fmt::format("{:.1f}%", 100 * row.latency.cv) : "-",
                         ok ? fmt::format("{:.1f}", row.throughput_per_s) : "-",
                         row.speedup_vs_current ? fmt::format("{:.2f}x", *row.speedup_vs_current) : "-");
    }
  }
  return out + op_profile_markdown(r);
}

}  // namespace torchdiag
