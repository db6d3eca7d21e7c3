#include "recommend_measure.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "advise/measure_policy.h"
#include "bench/measure_cgroup.h"
#include "bench/plan.h"
#include "common.h"
#include "progress.h"
#include "sys/user_file.h"
#include "util/strings.h"
#include "util/utc_time.h"

namespace torchdiag::cli {
namespace {

/// Start-up of one worker here, seconds (LibTorch's load dominates: about 0.45 s on a
/// 2-CPU VM with Debian's LibTorch), plus the warm-up of the built-in model.
constexpr double kWorkerOverheadS = 0.6;

/// How many configurations a guided search is expected to measure: the budget is shared
/// out among them (an exhaustive one measures the whole space).
constexpr size_t kExpectedSteps = 8;
constexpr size_t kMinShares = 4;

using Clock = std::chrono::steady_clock;

/// Unwraps a checked option value; the options were checked before, so a failure here
/// is a run-time one.
template <class T>
T or_throw(Expected<T> checked) {
  if (!checked) throw std::runtime_error(checked.error());
  return std::move(*checked);
}

/// --workload, forward by default.
Expected<std::vector<Workload>> workloads_of(const MeasureOptions& o) {
  return parse_workloads(o.workload.empty() ? std::vector<std::string>{} : std::vector<std::string>{o.workload},
                         {Workload::kForward});
}

/// Short repetitions: the budget is shared out among the configurations.
SweepOptions measure_sweep(const MeasureOptions& o) {
  SweepOptions s = o.sweep;
  s.spec.warmup = 2;
  s.spec.repetitions = 2;
  return s;
}

/// The target's CPU limits as a cgroup the workers join, when one can be made; else
/// nullptr after a warning that the figures are this container's.
std::unique_ptr<MeasureCgroup> target_cgroup(const TargetLimits& t, std::vector<Warning>& warnings) {
  if (!t.cpus && !t.cpuset) return nullptr;
  // TORCHDIAG_NO_CGROUP: measure as if no cgroup could be made (how tests reach that path).
  const char* off = std::getenv("TORCHDIAG_NO_CGROUP");
  auto cg = off && *off ? nullptr : MeasureCgroup::create(CgroupLimits{t.cpus, t.cpuset, t.memory_bytes});
  if (cg && cg->ok()) return cg;
  warnings.push_back({"measured-without-target-limits",
                      fmt::format("measured without the target's limits: no cgroup could be made for them ({}); "
                                  "the figures are this container's, the thread counts searched are the target's",
                                  cg ? cg->why() : "TORCHDIAG_NO_CGROUP is set")});
  return nullptr;
}

/// The workers' rows of one configuration as the search's result.
class PointMeasurer {
 public:
  PointMeasurer(BenchSpec base, WorkerLaunch launch, Clock::time_point deadline, double overhead_s)
      : base_(std::move(base)), launch_(std::move(launch)), deadline_(deadline), startup_s_(overhead_s + 0.5) {}

  PointResult operator()(const SearchPoint& p) {
    auto spec = base_;
    spec.threads = p.threads;
    spec.interop_threads = p.interop;
    spec.streams = p.streams;
    spec.allocator = p.allocator;
    // --budget is a deadline: whatever the model does (even loop forever), it ends then.
    spec.timeout_s = std::max(0.5, std::chrono::duration<double>(deadline_ - Clock::now()).count());
    if (p.workers > 1) {
      // Side by side means timing together: each worker waits for the slowest start seen
      // so far, or the sum of their items/s would count time one of them ran alone.
      spec.start_at_s = std::chrono::duration<double>(Clock::now().time_since_epoch()).count() + startup_s_;
    }
    const auto rows = run_worker_group(spec, p.workers, launch_);
    for (const auto& r : rows) {
      if (torch_version_.empty()) torch_version_ = r.torch_version;
      if (r.status == RowStatus::kOk) startup_s_ = std::max(startup_s_, kWorkerOverheadS + r.load_s + r.warmup_s + 0.3);
    }
    auto result = point_result(rows);
    if (!result.ok && Clock::now() + std::chrono::milliseconds(100) >= deadline_) {
      result.error = "cut short by the --budget deadline (" + result.error + ")";
    }
    return result;
  }
  const std::string& torch_version() const { return torch_version_; }

 private:
  BenchSpec base_;
  WorkerLaunch launch_;
  Clock::time_point deadline_;
  double startup_s_;  ///< from spawn to the end of warm-up, the longest seen (with slack)
  std::string torch_version_;
};

}  // namespace

void add_measure_options(CLI::App& cmd, MeasureOptions& o) {
  cmd.add_flag("--measure", o.measure, "Decide by a short search measured on this machine (needs torchdiag-worker)");
  cmd.add_option("--budget", o.budget_s, "Seconds the --measure search may take (a deadline)")
      ->check(finite_number())
      ->capture_default_str();
  cmd.add_option("--objective", o.objective, "--measure optimises throughput, latency (p50) or p99")
      ->type_name("OBJ")
      ->capture_default_str();
  cmd.add_option("--tolerance", o.tolerance_pct,
                 "--measure counts results within this percentage as equal (and picks fewer threads)")
      ->check(finite_number())
      ->capture_default_str();
  cmd.add_option("--max-p99", o.max_p99, "--measure never recommends a p99 latency above this (e.g. 20ms)")
      ->type_name("DURATION");
  cmd.add_option("--max-rss", o.max_rss, "--measure never recommends more resident memory, all workers (e.g. 2Gi)")
      ->type_name("BYTES");
  cmd.add_option("--min-throughput", o.min_throughput, "--measure never recommends fewer items/s, all workers")
      ->type_name("N");
  cmd.add_option("--search", o.search, "--measure climbs from the quick answer (guided) or measures every configuration (exhaustive)")
      ->type_name("HOW")
      ->capture_default_str();
  cmd.add_option("--save", o.save, "--measure writes the profile to FILE (apply it with --profile FILE)")
      ->type_name("FILE")
      ->check(non_empty());
  cmd.add_option("--workload", o.workload, "--measure workload: forward (default) or index_select");
  cmd.add_option("--model", o.sweep.spec.model,
                 "--measure this TorchScript file (default: the built-in model); with --profile, the model to check it against")
      ->check(non_empty());
  cmd.add_option("--input", o.sweep.inputs, "Forward input shape[:dtype] for --model (repeatable)");
  cmd.add_option("--allocator", o.allocators,
                 "--measure with glibc or glibc,jemalloc (the preload is proposed only if it measured better)")
      ->capture_default_str();
}

Constraints measure_constraints(const MeasureOptions& o) {
  Constraints c;
  if (!o.max_p99.empty()) {
    c.max_p99_s = parse_duration_s(o.max_p99);
    if (!c.max_p99_s) usage_error(fmt::format("--max-p99 '{}': not a duration with its unit (e.g. 20ms, 0.5s, 800us)", o.max_p99));
  }
  if (!o.max_rss.empty()) {
    const auto v = parse_byte_size(o.max_rss);
    if (!v) usage_error(fmt::format("--max-rss '{}': not a size (bytes, or with a unit: 512Mi, 2Gi, 2G)", o.max_rss));
    c.max_rss_bytes = *v;
  }
  if (!o.min_throughput.empty()) {
    const auto v = parse_double(o.min_throughput);
    if (!v || !(*v > 0)) usage_error(fmt::format("--min-throughput '{}': not a number of items/s above 0", o.min_throughput));
    c.min_throughput = *v;
  }
  return c;
}

void check_measure_options(const MeasureOptions& o, bool has_root) {
  const bool constrained = !o.max_p99.empty() || !o.max_rss.empty() || !o.min_throughput.empty();
  if (!o.wanted()) {
    if (constrained || !o.save.empty()) usage_error("--max-p99, --max-rss, --min-throughput and --save belong to --measure");
    return;
  }
  if (has_root) usage_error("--measure runs the workload on this machine; it cannot be combined with --root");
  if (!(o.budget_s >= 1 && o.budget_s <= 86400)) usage_error("--budget must be 1..86400 seconds");
  if (!parse_enum<Objective>(o.objective)) {
    std::vector<std::string> known;
    for (const auto& [e, name] : names_of(Objective{})) known.emplace_back(name);
    usage_error(fmt::format("--objective '{}': expected {}{}", o.objective, join(known, ", "), did_you_mean(o.objective, known)));
  }
  if (!(o.tolerance_pct >= 0 && o.tolerance_pct <= 100)) usage_error("--tolerance must be 0..100 (percent)");
  if (o.search != "guided" && o.search != "exhaustive") {
    usage_error(fmt::format("--search '{}': expected guided or exhaustive{}", o.search,
                            did_you_mean(o.search, {"guided", "exhaustive"})));
  }
  measure_constraints(o);
  if (!o.save.empty()) check_output_path(o.save, "--save");
  for (const auto& err : {workloads_of(o).error(), base_spec(measure_sweep(o)).error(),
                          parse_allocators(o.allocators).error()}) {
    if (!err.empty()) usage_error(err);
  }
}

namespace {

/// The objective, constraints and tolerance of the options, checked before.
SearchSettings settings_of(const MeasureOptions& o) {
  SearchSettings settings;
  settings.objective = *parse_enum<Objective>(o.objective);
  settings.constraints = measure_constraints(o);
  settings.tolerance = o.tolerance_pct / 100;
  settings.exhaustive = o.search == "exhaustive";
  return settings;
}

/// Shares the budget out: sets the timed window of `base` for the configurations
/// expected, and returns a worker's start-up time here.
double share_budget(const MeasureOptions& o, const SearchSpace& space, const RecommendFacts& facts,
                    bool exhaustive, BenchSpec& base, std::vector<Warning>& warnings) {
  // A small space ends sooner: at least kMinShares shares, so its few configurations
  // do not stretch over the whole budget.
  const auto expected = static_cast<double>(
      exhaustive ? space.size() : std::clamp(space.size(), kMinShares, kExpectedSteps));
  const double per_config = o.budget_s / expected;
  // Start-up is CPU work: under a quota below one CPU it takes longer.
  const double overhead_s = kWorkerOverheadS / std::clamp(facts.quota_cpus.value_or(1.0), 0.05, 1.0);
  // 15% of each share is slack, so that the last expected configuration still starts.
  base.min_time_s = std::clamp((0.85 * per_config - overhead_s) / base.repetitions, 0.05, 30.0);
  if (per_config < overhead_s + 0.1) {
    warnings.push_back({"budget-tight", fmt::format("--budget {:.0f} s is tight for {:.0f} configurations (each worker "
                                                    "needs about {:.1f} s to start); the search may stop before it "
                                                    "converges",
                                                    o.budget_s, expected, overhead_s)});
  }
  return overhead_s;
}

/// The evidence of a finished search: its choice, or the quick answer (with a problem)
/// when nothing kept the constraints.
MeasuredEvidence evidence_of(const SearchOutcome& outcome, const SearchPoint& start, const ThreadDecision& quick,
                             const std::string& jemalloc_path, std::vector<Problem>& problems) {
  MeasuredEvidence e;
  e.mode = RecommendMode::kMeasure;
  e.decision = decision_from_search(outcome, quick);
  if (outcome.chosen) {
    e.chosen = outcome.steps[*outcome.chosen].point;
  } else {
    e.chosen = start;
    e.chosen.threads = quick.threads;
    e.chosen.allocator = Allocator::kGlibc;
    const auto& last = outcome.steps.back().result;
    const auto why = last.ok ? constraint_violation(last, outcome.constraints) : last.error;
    problems.push_back({fmt::format("none of the {} measured configuration(s) kept the constraints (the last: {}); "
                                    "recommending the quick answer",
                                    outcome.steps.size(), why)});
  }
  e.extra = allocator_settings(e.chosen, jemalloc_path, "the search measured it better");
  e.search = outcome;
  return e;
}

/// The profile --save writes: the evidence's settings and search, and the facts.
MeasuredProfile profile_of(const MeasuredEvidence& e, const MeasureOptions& o, const BenchSpec& base,
                           const std::string& torch_version, ProfileFacts facts) {
  MeasuredProfile p;
  p.created = utc_now_iso8601();
  p.chosen = e.chosen;
  if (!e.extra.empty()) {
    p.ld_preload = e.extra[0].value;
    p.malloc_conf = e.extra[1].value;
  }
  p.search = *e.search;
  p.constraints_met = e.search->chosen.has_value();
  facts.torch_version = torch_version;
  facts.workload = to_string(base.workload);
  if (!o.sweep.spec.model.empty()) {
    facts.model = o.sweep.spec.model;
    if (const auto hash = hash_user_file(base.model)) facts.model_hash = *hash;
  }
  facts.inputs = o.sweep.inputs;
  p.facts = std::move(facts);
  return p;
}

}  // namespace

MeasureRun run_measurement(const MeasureOptions& o, const RecommendFacts& facts, const SearchAxes& fixed,
                           const ThreadDecision& quick, ProfileFacts profile_facts, std::vector<Warning>& warnings,
                           std::vector<Problem>& problems) {
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.budget_s));
  auto launch = or_throw(local_worker_launch());
  // Configurations are compared: without layout luck, identical runs agree (six here
  // spread from 2105 to 3757 items/s with it, 2550 to 2620 without). Only for the
  // built-in model: a model file is untrusted input, parsed with ASLR on.
  launch.fixed_layout = o.sweep.spec.model.empty();
  SearchAxes axes = fixed;
  axes.allocators = or_throw(parse_allocators(o.allocators));
  const auto space = search_space(facts, axes);
  auto settings = settings_of(o);
  auto base = or_throw(base_spec(measure_sweep(o)));
  base.workload = or_throw(workloads_of(o)).front();
  const double overhead_s = share_budget(o, space, facts, settings.exhaustive, base, warnings);
  const auto cgroup = target_cgroup(facts.target, warnings);
  if (cgroup) {
    const auto files = cgroup->procs_files();
    launch.place = [files](int pid) { return join_measure_cgroup(files, pid); };
  }
  // A configuration started too late to finish its timed window would only time out.
  const double step_s = overhead_s + base.min_time_s * base.repetitions;
  settings.out_of_time = [&] { return std::chrono::duration<double>(deadline - Clock::now()).count() < step_s; };

  PointMeasurer measurer(base, launch, deadline, overhead_s);
  SweepProgress progress("recommend --measure", o.budget_s);
  size_t index = 0;
  std::optional<PointResult> best;
  const auto run = [&](const SearchPoint& p) {
    progress.on_search_step(index++, space.size(),
                            fmt::format("threads={} inter-op={} streams={} workers={} {}", p.threads, p.interop,
                                        p.streams, p.workers, to_string(p.allocator)),
                            best ? objective_figure(*best, settings.objective) : "");
    auto r = measurer(p);
    progress.on_search_step_done();
    if (r.ok && constraint_violation(r, settings.constraints).empty() &&
        (!best || objective_cost(r, settings.objective) < objective_cost(*best, settings.objective))) {
      best = r;
    }
    return r;
  };
  auto outcome = run_search(space, start_point(facts, space), run, settings);
  outcome.elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (std::none_of(outcome.steps.begin(), outcome.steps.end(), [](const SearchStep& s) { return s.result.ok; })) {
    throw std::runtime_error(outcome.steps.empty()
                                 ? "no configuration could be measured within --budget"
                                 : "every measured configuration failed: " + outcome.steps.front().result.error);
  }
  if (cgroup) outcome.stop_reason += "; measured inside " + cgroup->describe();
  MeasureRun out;
  out.evidence = evidence_of(outcome, start_point(facts, space), quick, launch.jemalloc_path, problems);
  out.profile = profile_of(out.evidence, o, base, measurer.torch_version(), std::move(profile_facts));
  return out;
}

}  // namespace torchdiag::cli
