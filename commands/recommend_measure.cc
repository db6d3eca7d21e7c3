#include "recommend_measure.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

#include "advise/measure_policy.h"
#include "bench/plan.h"
#include "bench/spec_json.h"
#include "bench/sweep.h"
#include "common.h"
#include "sys/loaded_libs.h"
#include "sys/subprocess.h"
#include "sys/worker_path.h"
#include "util/model_file.h"
#include "util/strings.h"

namespace torchdiag::cli {
namespace {

/// Start-up, model load and warm-up of one worker here, seconds (measured on a
/// 2-CPU VM with Debian's LibTorch: about 1.0-1.5 s).
constexpr double kWorkerOverheadS = 1.5;

std::vector<int> thread_candidates(const RecommendFacts& f) {
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

std::vector<std::string> allocators_of(const std::string& text) {
  std::vector<std::string> out;
  for (const auto a : split(text, ',')) out.emplace_back(trim(a));
  return out;
}

BenchSpec measure_spec(const MeasureOptions& o) {
  BenchSpec s;
  s.workload = o.workload.empty() ? "forward" : o.workload;
  if (!o.model.empty()) {
    char buf[PATH_MAX];
    s.model = ::realpath(o.model.c_str(), buf) ? buf : o.model;
  }
  for (const auto& text : o.inputs) {
    InputSpec in;
    parse_input_spec(text, in);
    s.inputs.push_back(in);
  }
  s.warmup = 2;
  s.repetitions = 2;
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
  cmd.add_option("--model", o.model, "--measure this TorchScript file (default: the built-in model)")
      ->check(non_empty());
  cmd.add_option("--input", o.inputs, "Forward input shape[:dtype] for --model (repeatable)");
  cmd.add_option("--allocator", o.allocators,
                 "--measure with glibc or glibc,jemalloc (the preload is proposed only if it helped)")
      ->capture_default_str();
}

void check_measure_options(const MeasureOptions& o, bool has_root) {
  if (!o.wanted()) return;
  if (has_root) usage_error("--measure runs the workload on this machine; it cannot be combined with --root");
  if (!(o.budget_s >= 1 && o.budget_s <= 86400)) usage_error("--budget must be 1..86400 seconds");
  if (o.objective != "latency" && o.objective != "throughput") {
    usage_error(fmt::format("--objective '{}': expected latency or throughput", o.objective));
  }
  if (!(o.tolerance_pct >= 0 && o.tolerance_pct <= 100)) usage_error("--tolerance must be 0..100 (percent)");
  if (!o.workload.empty() && o.workload != "forward" && o.workload != "index_select") {
    usage_error(fmt::format("--workload '{}': unknown workload (expected forward or index_select){}", o.workload,
                            did_you_mean(o.workload, {"forward", "index_select"})));
  }
  if (!o.model.empty()) {
    if (const auto why = check_model_file(o.model); !why.empty()) {
      usage_error(fmt::format("cannot load model '{}': {}", o.model, why));
    }
    if (o.inputs.empty()) usage_error("--model needs at least one --input shape (e.g. --input 1x3x224x224)");
  }
  for (const auto& text : o.inputs) {
    InputSpec in;
    if (const auto err = parse_input_spec(text, in); !err.empty()) usage_error(fmt::format("--input '{}': {}", text, err));
  }
  for (const auto& a : allocators_of(o.allocators)) {
    if (a != "glibc" && a != "jemalloc") usage_error(fmt::format("--allocator '{}': expected glibc or jemalloc", a));
    if (a == "jemalloc" && installed_jemalloc().empty()) {
      usage_error("--allocator jemalloc: libjemalloc.so.2 is not installed (apt-get install libjemalloc2)");
    }
  }
}

std::shared_ptr<const MeasuredEvidence> run_measurement(const MeasureOptions& o, const RecommendFacts& facts,
                                                        std::vector<std::string>& warnings) {
  const auto worker = find_worker();
  if (!worker.ok()) throw std::runtime_error(worker.reason);
  std::vector<ThreadChoice> threads;
  for (int t : thread_candidates(facts)) threads.push_back({t, std::to_string(t)});
  const auto allocators = allocators_of(o.allocators);
  auto base = measure_spec(o);
  const auto n = static_cast<double>(threads.size() * allocators.size());
  const double per_config = o.budget_s / n;
  base.min_time_s = std::clamp((per_config - kWorkerOverheadS) / base.repetitions, 0.05, 30.0);
  base.timeout_s = per_config * 4 + 60;
  if (per_config < kWorkerOverheadS + 0.1) {
    warnings.push_back(fmt::format("--budget {:.0f} s is tight for {:.0f} configurations (each worker needs about "
                                   "{:.1f} s to start); configurations may be cut short or skipped",
                                   o.budget_s, n, kWorkerOverheadS));
  }
  const auto plan = plan_sweep(base, {base.workload}, threads, {std::max(1, facts.streams)}, allocators);
  const WorkerLaunch launch{*worker.value, current_environment(), installed_jemalloc()};
  // --budget is a deadline: whatever the model does (even loop forever), the sweep ends then.
  const auto rows =
      run_sweep(plan, [&](const PlannedConfig& c) { return run_in_worker(c, launch); }, nullptr, o.budget_s);
  const MeasureObjective objective{o.objective == "throughput", o.tolerance_pct / 100};
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
    if (r.status != "ok") warnings.push_back(fmt::format("threads={} {}: {}", r.threads_label, r.status, r.error));
  }
  return evidence;
}

}  // namespace torchdiag::cli
