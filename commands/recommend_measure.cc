#include "recommend_measure.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "advise/measure_policy.h"
#include "bench/plan.h"
#include "common.h"
#include "progress.h"

namespace torchdiag::cli {
namespace {

/// Start-up, model load and warm-up of one worker here, seconds (measured on a
/// 2-CPU VM with Debian's LibTorch: about 1.0-1.5 s).
constexpr double kWorkerOverheadS = 1.5;

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

}  // namespace

void add_measure_options(CLI::App& cmd, MeasureOptions& o) {
  cmd.add_flag("--measure", o.measure, "Decide by a short sweep on this machine (needs torchdiag-worker)");
  cmd.add_option("--budget", o.budget_s, "Seconds the --measure sweep may take (a deadline)")
      ->check(finite_number())
      ->capture_default_str();
  cmd.add_option("--objective", o.objective, "--measure optimises latency or throughput")->capture_default_str();
  cmd.add_option("--tolerance", o.tolerance_pct,
                 "--measure picks the fewest threads within this percentage of the best")
      ->check(finite_number())
      ->capture_default_str();
  cmd.add_option("--workload", o.workload, "--measure workload: forward (default) or index_select");
  cmd.add_option("--model", o.sweep.spec.model, "--measure this TorchScript file (default: the built-in model)")
      ->check(non_empty());
  cmd.add_option("--input", o.sweep.inputs, "Forward input shape[:dtype] for --model (repeatable)");
  cmd.add_option("--allocator", o.allocators,
                 "--measure with glibc or glibc,jemalloc (the preload is proposed only if it helped)")
      ->capture_default_str();
}

void check_measure_options(const MeasureOptions& o, bool has_root) {
  if (!o.wanted()) return;
  if (has_root) usage_error("--measure runs the workload on this machine; it cannot be combined with --root");
  if (!(o.budget_s >= 1 && o.budget_s <= 86400)) usage_error("--budget must be 1..86400 seconds");
  if (!parse_enum<Objective>(o.objective)) {
    usage_error(fmt::format("--objective '{}': expected latency or throughput", o.objective));
  }
  if (!(o.tolerance_pct >= 0 && o.tolerance_pct <= 100)) usage_error("--tolerance must be 0..100 (percent)");
  for (const auto& err : {workloads_of(o).error(), base_spec(measure_sweep(o)).error(),
                          parse_allocators(o.allocators).error()}) {
    if (!err.empty()) usage_error(err);
  }
}

std::shared_ptr<const MeasuredEvidence> run_measurement(const MeasureOptions& o, const RecommendFacts& facts,
                                                        std::vector<Warning>& warnings) {
  const auto launch = or_throw(local_worker_launch());
  std::vector<ThreadChoice> threads;
  for (int t : measure_thread_candidates(facts)) threads.push_back(t);
  const auto allocators = or_throw(parse_allocators(o.allocators));
  auto base = or_throw(base_spec(measure_sweep(o)));
  const auto n = static_cast<double>(threads.size() * allocators.size());
  const double per_config = o.budget_s / n;
  base.min_time_s = std::clamp((per_config - kWorkerOverheadS) / base.repetitions, 0.05, 30.0);
  base.timeout_s = per_config * 4 + 60;
  if (per_config < kWorkerOverheadS + 0.1) {
    warnings.push_back({"budget-tight", fmt::format("--budget {:.0f} s is tight for {:.0f} configurations (each worker needs about "
                                   "{:.1f} s to start); configurations may be cut short or skipped",
                                   o.budget_s, n, kWorkerOverheadS)});
  }
  const auto plan = plan_sweep(base, or_throw(workloads_of(o)), threads, {std::max(1, facts.streams)}, allocators);
  // --budget is a deadline: whatever the model does (even loop forever), the sweep ends then.
  SweepProgress progress("recommend --measure", o.budget_s);
  const auto rows = run_worker_sweep(plan, launch, &progress, o.budget_s);
  const MeasureObjective objective{parse_enum<Objective>(o.objective) == Objective::kThroughput, o.tolerance_pct / 100};
  const auto decision = choose_measured_threads(rows, objective);
  if (!decision) {
    std::string why = "every measured configuration failed";
    if (!rows.empty()) why += ": " + rows.front().error;
    throw std::runtime_error(why);
  }
  auto evidence = std::make_shared<MeasuredEvidence>();
  evidence->decision = *decision;
  evidence->extra = measured_allocator_settings(rows, decision->threads, objective, launch.jemalloc_path);
  for (const auto& r : rows) {
    if (r.status != RowStatus::kOk) {
      warnings.push_back({"measured-row-failed", fmt::format("threads={} {}: {}", threads_label(r.spec), r.status, r.error)});
    }
  }
  return evidence;
}

}  // namespace torchdiag::cli
