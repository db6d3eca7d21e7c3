#pragma once
// What differs between two reports of the same kind, ranked by how much each
// difference can explain a performance gap. Pure: the reports are read elsewhere.
#include <string>

#include "model/diff_report.h"

namespace torchdiag {

struct DiffOptions {
  double alpha = 0.01;       ///< a bench gap is significant when the test's p is below this
  double min_effect = 0.05;  ///< ... and it matters when the p50s also differ by this share
};

/// The category and the one-line reason for a fact's path ("cpu.usable_threads",
/// "context.env.OMP_NUM_THREADS", "processes[python3].verdict").
struct FactRule {
  DiffCategory category = DiffCategory::kOther;
  std::string why;
  size_t order = 0;  ///< the rule's place in the ranking within its category
};
FactRule rule_for(const std::string& path);

/// The configuration's name in a diff: "forward model.pt threads=4 interop=default streams=1 glibc".
std::string config_key(const BenchRow& row);

/// Facts, findings and (for bench) configurations of A against B.
DiffReport diff_reports(const ComparableReport& a, const ComparableReport& b, const DiffOptions& options = {});

}  // namespace torchdiag
