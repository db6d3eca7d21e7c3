#pragma once
// recommend --measure: a short sweep that the policy turns into a measured answer.
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "advise/recommend_policy.h"
#include "bench/sweep_options.h"

namespace torchdiag::cli {

struct MeasureOptions {
  bool measure = false;
  double budget_s = 15;
  std::string objective = "latency";
  double tolerance_pct = 3;
  std::string workload;  ///< "" = forward
  SweepOptions sweep;    ///< --model and --input
  std::string allocators = "glibc";
  /// --measure given, or a model or workload named (which implies it).
  bool wanted() const { return measure || !sweep.spec.model.empty() || !workload.empty(); }
};

void add_measure_options(CLI::App& cmd, MeasureOptions& o);

/// Usage errors (exit 2) for bad measure options, before anything runs.
void check_measure_options(const MeasureOptions& o, bool has_root);

/// Runs the sweep within the budget (a deadline) on this machine and chooses. Throws
/// std::runtime_error when nothing could be measured (the caller falls back).
std::shared_ptr<const MeasuredEvidence> run_measurement(const MeasureOptions& o, const RecommendFacts& facts,
                                                        std::vector<Warning>& warnings);

}  // namespace torchdiag::cli
