#include "bench/op_profile.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

#include <fmt/format.h>

#include "util/strings.h"

namespace torchdiag {
namespace {

bool is_operator(const OpEvent& e) {
  return e.name != kCallRangeName && e.name.find("::") != std::string::npos;
}

/// Per event: its self time (minus the ranges directly inside it), whether an operator
/// encloses it, and whether it lies inside a call range. Events are in (thread, start)
/// order; a range encloses the ones that start before it ends.
struct Nesting {
  std::vector<double> self_us;
  std::vector<bool> under_operator;
  std::vector<bool> in_call;
};

Nesting nest(const std::vector<OpEvent>& events) {
  Nesting n{std::vector<double>(events.size()), std::vector<bool>(events.size()), std::vector<bool>(events.size())};
  std::vector<size_t> open;
  int thread = -1;
  for (size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (e.thread != thread) {
      open.clear();
      thread = e.thread;
    }
    while (!open.empty() && events[open.back()].start_us + events[open.back()].dur_us <= e.start_us) open.pop_back();
    n.self_us[i] = e.dur_us;
    if (!open.empty()) {
      const size_t parent = open.back();
      n.self_us[parent] -= e.dur_us;
      n.under_operator[i] = n.under_operator[parent] || is_operator(events[parent]);
      n.in_call[i] = n.in_call[parent] || events[parent].name == kCallRangeName;
    }
    open.push_back(i);
  }
  return n;
}

/// "1.9x"; below 0.1x two decimals, so a collapse does not read "0.0x".
std::string times(double v) { return fmt::format(v < 0.1 ? "{:.2f}x" : "{:.1f}x", v); }

std::string threads_reading(const OpScaling& s) {
  const auto& last = s.speedup.back();
  if (s.slower_with_threads) {
    return fmt::format("{}: {} at {} threads, slower with more threads", s.name, times(last.second), last.first);
  }
  if (s.never_parallel) return fmt::format("{}: 1.0x at every count, does not parallelise", s.name);
  std::vector<std::string> parts;
  for (size_t i = 1; i < s.speedup.size(); ++i) {
    parts.push_back(fmt::format("{} at {} threads", times(s.speedup[i].second), s.speedup[i].first));
  }
  return s.name + ": " + join(parts, ", ");
}

}  // namespace

OpProfile summarize_profile(const ProfileSample& sample, bool by_shapes) {
  OpProfile out;
  out.calls = sample.calls;
  out.truncated = sample.truncated;
  out.error = sample.error;
  if (!sample.error.empty()) return out;
  const auto nesting = nest(sample.events);
  double call_us = 0, top_level_us = 0;
  int call_ranges = 0;
  struct Total {
    double self_us = 0;
    int count = 0;
    std::map<int, int> threads;
  };
  std::map<std::pair<std::string, std::string>, Total> totals;
  for (size_t i = 0; i < sample.events.size(); ++i) {
    const auto& e = sample.events[i];
    if (e.name == kCallRangeName) {
      call_us += e.dur_us;
      ++call_ranges;
      continue;
    }
    if (!is_operator(e)) continue;
    if (nesting.in_call[i] && !nesting.under_operator[i]) top_level_us += e.dur_us;
    auto& t = totals[{e.name, by_shapes ? e.shapes : std::string()}];
    t.self_us += std::max(nesting.self_us[i], 0.0);
    ++t.count;
    ++t.threads[e.thread];
  }
  if (call_ranges == 0 || call_us <= 0) {
    out.error = "no profiled call was recorded";
    return out;
  }
  out.calls = call_ranges;
  const double calls = call_ranges;
  out.wall_s_per_call = call_us / calls / 1e6;
  out.framework_overhead_fraction = std::clamp(1 - top_level_us / call_us, 0.0, 1.0);
  for (const auto& [key, t] : totals) {
    const auto busiest = std::max_element(t.threads.begin(), t.threads.end(),
                                          [](const auto& a, const auto& b) { return a.second < b.second; });
    const double self_s = t.self_us / calls / 1e6;
    out.ops.push_back({key.first, key.second, t.count / calls, self_s, self_s / out.wall_s_per_call, busiest->first});
  }
  std::stable_sort(out.ops.begin(), out.ops.end(),
                   [](const OpStat& a, const OpStat& b) { return a.self_s_per_call > b.self_s_per_call; });
  if (out.ops.size() > kMaxTableOps) out.ops.resize(kMaxTableOps);
  return out;
}

std::vector<OpScaling> op_scaling(const std::vector<BenchRow>& rows) {
  std::vector<OpScaling> out;
  std::set<Workload> done;
  for (const auto& first : rows) {
    if (done.count(first.spec.workload) || !first.profile || !first.profile->error.empty()) continue;
    // The group of `first`: every profiled row that differs from it in threads alone.
    std::map<int, const BenchRow*> by_threads;
    for (const auto& r : rows) {
      const bool same = r.spec.workload == first.spec.workload && r.spec.model == first.spec.model &&
                        r.spec.interop_threads == first.spec.interop_threads && r.spec.streams == first.spec.streams &&
                        r.spec.allocator == first.spec.allocator;
      if (!same || r.status != RowStatus::kOk || !r.profile || !r.profile->error.empty() || threads_run(r) < 1) continue;
      auto& slot = by_threads[threads_run(r)];
      if (!slot || (r.spec.threads && !slot->spec.threads)) slot = &r;  // an explicit count beats "current"
    }
    if (by_threads.size() < 2) continue;
    done.insert(first.spec.workload);
    const BenchRow& base = *by_threads.begin()->second;
    for (size_t k = 0; k < base.profile->ops.size() && k < kMaxScalingOps; ++k) {
      const auto& name = base.profile->ops[k].name;
      OpScaling s;
      s.workload = to_string(first.spec.workload);
      s.name = name;
      for (const auto& [threads, row] : by_threads) {
        double self = 0;  // an operator split by shapes is summed back
        for (const auto& op : row->profile->ops) self += op.name == name ? op.self_s_per_call : 0;
        s.self_s.emplace_back(threads, self);
      }
      if (std::any_of(s.self_s.begin(), s.self_s.end(), [](const auto& p) { return p.second <= 0; })) continue;
      for (const auto& [threads, self] : s.self_s) s.speedup.emplace_back(threads, s.self_s.front().second / self);
      s.slower_with_threads = s.self_s.back().second > 1.1 * s.self_s.front().second;
      s.never_parallel = !s.slower_with_threads && std::all_of(s.speedup.begin(), s.speedup.end(), [](const auto& p) {
        return std::abs(p.second - 1) <= 0.1;
      });
      s.reading = threads_reading(s);
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace torchdiag
