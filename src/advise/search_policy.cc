#include "advise/search_policy.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "advise/recommend_policy.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// 1, 2, 4 ... below `cap`, plus `cap` and `extra`; sorted, unique, at least 1.
std::vector<int> doubling(int cap, int extra = 1) {
  cap = std::max(1, cap);
  std::vector<int> out;
  for (int v = 1; v < cap; v *= 2) out.push_back(v);
  out.push_back(cap);
  out.push_back(std::clamp(extra, 1, cap));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

/// How far `r` is beyond its constraints: the largest relative excess, 0 when within.
double violation_degree(const PointResult& r, const Constraints& c) {
  double v = 0;
  if (c.max_p99_s && *c.max_p99_s > 0) v = std::max(v, r.p99_s / *c.max_p99_s - 1);
  if (c.max_rss_bytes && *c.max_rss_bytes > 0 && r.peak_rss_bytes) {
    v = std::max(v, static_cast<double>(*r.peak_rss_bytes) / static_cast<double>(*c.max_rss_bytes) - 1);
  }
  if (c.min_throughput && *c.min_throughput > 0) {
    v = std::max(v, r.throughput_per_s > 0 ? *c.min_throughput / r.throughput_per_s - 1 : kInf);
  }
  return v;
}

std::string ms(double s) { return fmt::format("{:.2f} ms", 1e3 * s); }

long long thread_total(const SearchPoint& p) {
  return static_cast<long long>(p.threads) * p.streams * p.workers;
}

/// One axis of the space, as a pointer into a point and the axis' values.
struct Axis {
  const char* name;
  int SearchPoint::*field;
  const std::vector<int>* values;
};

class Search {
 public:
  Search(const SearchSpace& space, const PointRunner& run, const SearchSettings& s)
      : space_(space), run_(run), s_(s) {
    out_.objective = s.objective;
    out_.constraints = s.constraints;
  }

  SearchOutcome climb(SearchPoint start) {
    auto cur = measure(start);
    if (!cur) return finish("budget: out of time before the first configuration");
    out_.steps[*cur].verdict = "start: the quick answer";
    std::optional<std::pair<size_t, int>> momentum;  // (axis, direction) of the last move
    for (;;) {
      bool moved = false;
      for (const auto& [axis, dir, next] : neighbours(out_.steps[*cur].point, momentum)) {
        if (seen(next)) continue;
        const auto idx = measure(next);
        if (!idx) return finish(budget_reason());
        const auto [better, gain, why] = compare(out_.steps[*idx], out_.steps[*cur]);
        out_.steps[*idx].verdict = why;
        if (!better) continue;
        const bool both_feasible = out_.steps[*cur].feasible && out_.steps[*idx].feasible;
        cur = idx;
        momentum = std::make_pair(axis, dir);
        moved = true;
        if (both_feasible && gain < s_.min_gain) {
          out_.steps[*idx].verdict += fmt::format("; stopped: the step gained under {:.0f}%", 100 * s_.min_gain);
          return finish(fmt::format("stopped early: the last step gained {:.1f}%, under {:.0f}%", 100 * gain,
                                    100 * s_.min_gain));
        }
        break;
      }
      if (!moved) {
        return finish(fmt::format("converged: no neighbour of {} does better beyond the noise",
                                  describe_point(out_.steps[*cur].point)));
      }
    }
  }

  SearchOutcome every_point() {
    for (const auto a : space_.allocators) {
      for (const int w : space_.workers) {
        for (const int st : space_.streams) {
          for (const int i : space_.interop) {
            for (const int t : space_.threads) {
              const SearchPoint p{t, i, st, w, a};
              if (!space_.contains(p)) continue;
              const auto idx = measure(p);
              if (!idx) return finish(budget_reason());
              auto& step = out_.steps[*idx];
              step.verdict = !step.result.ok ? "failed: " + step.result.error
                             : step.feasible ? "measured (exhaustive)"
                                             : "violates " + constraint_violation(step.result, s_.constraints);
            }
          }
        }
      }
    }
    return finish(fmt::format("exhaustive: all {} configurations measured", out_.steps.size()));
  }

 private:
  std::vector<Axis> axes() const {
    return {{"threads", &SearchPoint::threads, &space_.threads},
            {"workers", &SearchPoint::workers, &space_.workers},
            {"streams", &SearchPoint::streams, &space_.streams},
            {"inter-op", &SearchPoint::interop, &space_.interop}};
  }

  struct Neighbour {
    size_t axis;  ///< index into axes(); axes().size() = the allocator
    int dir;
    SearchPoint point;
  };

  /// The adjacent points along each axis, the direction of the last move first.
  std::vector<Neighbour> neighbours(const SearchPoint& p, const std::optional<std::pair<size_t, int>>& momentum) const {
    std::vector<Neighbour> out;
    const auto all = axes();
    for (size_t a = 0; a < all.size(); ++a) {
      const auto& values = *all[a].values;
      const auto it = std::find(values.begin(), values.end(), p.*all[a].field);
      if (it == values.end()) continue;
      for (const int dir : {+1, -1}) {
        const auto pos = (it - values.begin()) + dir;
        if (pos < 0 || pos >= static_cast<long>(values.size())) continue;
        SearchPoint n = p;
        n.*all[a].field = values[static_cast<size_t>(pos)];
        // More workers or streams on the same CPUs: fewer threads each, to fit.
        if (all[a].field != &SearchPoint::threads) fit_threads(n);
        if (space_.contains(n) && n != p) out.push_back({a, dir, n});
      }
    }
    for (const auto alloc : space_.allocators) {
      if (alloc == p.allocator) continue;
      SearchPoint n = p;
      n.allocator = alloc;
      out.push_back({all.size(), +1, n});
    }
    if (momentum) {
      std::stable_partition(out.begin(), out.end(), [&](const Neighbour& n) {
        return n.axis == momentum->first && n.dir == momentum->second;
      });
    }
    return out;
  }

  /// Lowers p.threads to the largest value of the space that keeps p inside it.
  void fit_threads(SearchPoint& p) const {
    for (auto it = space_.threads.rbegin(); it != space_.threads.rend() && !space_.contains(p); ++it) {
      if (*it < p.threads) p.threads = *it;
    }
  }

  bool seen(const SearchPoint& p) const {
    return std::any_of(out_.steps.begin(), out_.steps.end(), [&](const SearchStep& s) { return s.point == p; });
  }

  std::optional<size_t> measure(const SearchPoint& p) {
    if (s_.out_of_time && s_.out_of_time()) return std::nullopt;
    SearchStep step;
    step.point = p;
    step.result = run_(p);
    step.feasible = step.result.ok && constraint_violation(step.result, s_.constraints).empty();
    out_.steps.push_back(step);
    return out_.steps.size() - 1;
  }

  struct Verdict {
    bool better;
    double gain;  ///< relative improvement of the objective (feasible pair only)
    std::string why;
  };

  /// Whether the search should move from `cur` to `next`, and the step's verdict.
  Verdict compare(const SearchStep& next, const SearchStep& cur) const {
    if (!next.result.ok) return {false, 0, "failed: " + next.result.error};
    if (!next.feasible && cur.feasible) {
      return {false, 0, "violates " + constraint_violation(next.result, s_.constraints)};
    }
    if (next.feasible && !cur.feasible) return {true, 0, "moved: keeps the constraints, which the last one did not"};
    const double noise = std::max({s_.tolerance, next.result.noise, cur.result.noise});
    if (!next.feasible) {  // both violate: move toward the constraints
      const double now = violation_degree(cur.result, s_.constraints);
      const double then = violation_degree(next.result, s_.constraints);
      if (then < now * (1 - noise)) return {true, 0, "moved: closer to the constraints (still violates " +
                                                         constraint_violation(next.result, s_.constraints) + ")"};
      return {false, 0, "violates " + constraint_violation(next.result, s_.constraints)};
    }
    const double gain = objective_cost(cur.result, s_.objective) / objective_cost(next.result, s_.objective) - 1;
    if (gain > noise) return {true, gain, fmt::format("moved: {} (noise {:.1f}%)", change_text(gain), 100 * noise)};
    if (gain > 0) {
      return {false, gain, fmt::format("not moved: {} is within the noise ({:.1f}%)", change_text(gain), 100 * noise)};
    }
    if (s_.objective != Objective::kThroughput) return {false, gain, fmt::format("not moved: {} (worse)", change_text(gain))};
    return {false, gain, fmt::format("not moved: {:.1f}% worse throughput", -100 * gain)};
  }

  /// How the objective's figure changed for a `gain` in it: "+12.0% throughput",
  /// "p99 -93.7%" (a latency falls as it improves).
  std::string change_text(double gain) const {
    if (s_.objective == Objective::kThroughput) return fmt::format("{:+.1f}% throughput", 100 * gain);
    return fmt::format("{} {:+.1f}%", to_string(s_.objective), 100 * (1 / (1 + gain) - 1));
  }

  std::string budget_reason() const {
    return fmt::format("budget: the deadline came after {} configuration(s)", out_.steps.size());
  }

  SearchOutcome finish(std::string why) {
    out_.stop_reason = std::move(why);
    double best = kInf;
    for (const auto& s : out_.steps) {
      if (s.feasible) best = std::min(best, objective_cost(s.result, s_.objective));
    }
    for (size_t i = 0; i < out_.steps.size(); ++i) {
      const auto& s = out_.steps[i];
      if (!s.feasible || !(objective_cost(s.result, s_.objective) <= best * (1 + s_.tolerance))) continue;
      if (!out_.chosen) {
        out_.chosen = i;
        continue;
      }
      const auto& c = out_.steps[*out_.chosen];
      const auto fewer = thread_total(s.point) < thread_total(c.point);
      const auto same = thread_total(s.point) == thread_total(c.point);
      if (fewer || (same && objective_cost(s.result, s_.objective) < objective_cost(c.result, s_.objective))) {
        out_.chosen = i;
      }
    }
    return out_;
  }

  const SearchSpace& space_;
  const PointRunner& run_;
  const SearchSettings& s_;
  SearchOutcome out_;
};

}  // namespace

size_t SearchSpace::size() const {
  size_t n = 0;
  for (const int t : threads) {
    for (const int w : workers) {
      for (const int st : streams) n += contains({t, 1, st, w, Allocator::kGlibc}) ? 1 : 0;
    }
  }
  return n * interop.size() * allocators.size();
}

SearchSpace search_space(const RecommendFacts& f, const SearchAxes& axes) {
  SearchSpace s;
  const int usable = std::max(1, f.usable_threads);
  s.streams = axes.streams ? std::vector<int>{std::max(1, *axes.streams)} : doubling(usable);
  s.workers = axes.workers ? std::vector<int>{std::max(1, *axes.workers)} : doubling(usable);
  // Threads per worker x stream of the smallest demand, up to the whole affinity mask:
  // that is where quota throttling shows.
  const int demand = s.streams.front() * s.workers.front();
  const int share = intra_op_share(usable, s.workers.front(), s.streams.front());
  s.threads = doubling(std::max(share, std::max(1, f.affinity_cpus) / demand), share);
  s.interop = usable >= 2 ? std::vector<int>{1, 2} : std::vector<int>{1};
  s.allocators = axes.allocators.empty() ? std::vector<Allocator>{Allocator::kGlibc} : axes.allocators;
  s.max_demand = std::max<long long>(usable, demand);  // fixed axes beyond it stay measurable
  s.max_total = std::max<long long>(std::max(1, f.affinity_cpus), demand);
  return s;
}

SearchPoint start_point(const RecommendFacts& f, const SearchSpace& space) {
  SearchPoint p;
  p.streams = space.streams.front();
  p.workers = space.workers.front();
  const int share = intra_op_share(f.usable_threads, p.workers, p.streams);
  // The largest value of the space not above the share (the share is in it by construction).
  p.threads = space.threads.front();
  for (const int t : space.threads) {
    if (t <= share) p.threads = t;
  }
  p.interop = space.interop.front();
  p.allocator = space.allocators.front();
  return p;
}

double objective_cost(const PointResult& r, Objective objective) {
  if (!r.ok) return kInf;
  const double t = std::clamp(r.throttled_fraction, 0.0, 0.99);
  switch (objective) {
    case Objective::kLatency: return r.p50_s > 0 ? r.p50_s * (1 + t) : kInf;
    case Objective::kP99: return r.p99_s > 0 ? r.p99_s : kInf;
    case Objective::kThroughput: break;
  }
  const double effective = r.throughput_per_s * (1 - t);
  return effective > 0 ? 1 / effective : kInf;
}

std::string constraint_violation(const PointResult& r, const Constraints& c) {
  if (c.max_p99_s && r.p99_s > *c.max_p99_s) return fmt::format("--max-p99: p99 {} > {}", ms(r.p99_s), ms(*c.max_p99_s));
  if (c.max_rss_bytes && r.peak_rss_bytes && *r.peak_rss_bytes > *c.max_rss_bytes) {
    return fmt::format("--max-rss: peak RSS {} > {}", mib_text(*r.peak_rss_bytes), mib_text(*c.max_rss_bytes));
  }
  if (c.min_throughput && r.throughput_per_s < *c.min_throughput) {
    return fmt::format("--min-throughput: {:.1f} items/s < {:g}", r.throughput_per_s, *c.min_throughput);
  }
  return "";
}

SearchOutcome run_search(const SearchSpace& space, const SearchPoint& start, const PointRunner& run,
                         const SearchSettings& settings) {
  Search search(space, run, settings);
  return settings.exhaustive ? search.every_point() : search.climb(start);
}

std::string objective_figure(const PointResult& r, Objective objective) {
  switch (objective) {
    case Objective::kLatency: return "p50 " + ms(r.p50_s);
    case Objective::kP99: return "p99 " + ms(r.p99_s);
    case Objective::kThroughput: break;
  }
  return fmt::format("{:.1f} items/s", r.throughput_per_s);
}

}  // namespace torchdiag
