#pragma once
// `torchdiag diff`: two reports read back from their JSON contracts, and what differs
// between them, ranked by how much each difference can explain a performance gap.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/bench_result.h"
#include "model/enum_names.h"
#include "model/finding.h"

namespace torchdiag {

inline constexpr const char* kDiffSchema = "torchdiag.diff/1";

/// The reports `diff` compares (by their `schema`).
enum class ReportKind { kInspect, kBench, kWatch };
constexpr EnumNames<ReportKind, 3> names_of(ReportKind) {
  return {{{ReportKind::kInspect, "inspect"}, {ReportKind::kBench, "bench"}, {ReportKind::kWatch, "watch"}}};
}

/// Where a difference ranks, most explanatory first. Every category but kOther
/// counts as a difference that matters (exit status 1).
enum class DiffCategory { kCapacity, kThreads, kFindings, kSecurity, kCpu, kKernel, kOther };
constexpr EnumNames<DiffCategory, 7> names_of(DiffCategory) {
  return {{{DiffCategory::kCapacity, "capacity"},
           {DiffCategory::kThreads, "threads"},
           {DiffCategory::kFindings, "findings"},
           {DiffCategory::kSecurity, "speculation_seccomp"},
           {DiffCategory::kCpu, "cpu_frequency"},
           {DiffCategory::kKernel, "kernel_runtime"},
           {DiffCategory::kOther, "other"}}};
}

/// One report as `diff` sees it: its leaves by JSON path ("cpu.usable_threads" -> "4"),
/// its findings and, for bench, its rows with their per-call samples.
struct ComparableReport {
  ReportKind kind = ReportKind::kInspect;
  std::string schema;
  std::string source;                                       ///< the file or snapshot directory
  std::vector<std::pair<std::string, std::string>> facts;   ///< in document order; values as JSON text
  std::vector<std::string> sections;                        ///< top-level keys ("torch"; "context.torch" in bench)
  std::vector<Finding> findings;                            ///< subject set for per-process findings
  std::vector<BenchRow> rows;                               ///< bench only
  std::vector<std::string> warnings;                        ///< the report's own warnings (noise)
};

/// A fact that differs. `a`/`b` are the JSON values ("absent" when one side lacks it).
struct FactDifference {
  DiffCategory category = DiffCategory::kOther;
  std::string path;
  std::string a, b;
  std::string why;   ///< one line: why this can change performance
};

/// One bench configuration present in both reports.
struct ConfigComparison {
  std::string key;                  ///< "forward builtin threads=4 interop=default streams=1 glibc"
  RowStatus a_status = RowStatus::kOk, b_status = RowStatus::kOk;
  double a_p50_s = 0, b_p50_s = 0;
  double ratio = 0;                 ///< b p50 / a p50 (> 1: B slower); 0 when a side failed
  std::optional<double> p_value;    ///< two-sided; nullopt when a side has too few samples
  size_t a_samples = 0, b_samples = 0;
  bool significant = false;         ///< p < alpha
  bool matters = false;             ///< significant and |ratio - 1| >= the minimum effect
  std::vector<std::string> noise;   ///< each side's warnings on this row, prefixed "A: " / "B: "
};

struct DiffReport {
  ReportKind kind = ReportKind::kInspect;
  std::string a_source, b_source;
  std::vector<FactDifference> differences;   ///< ranked: category, then rule order
  std::vector<ConfigComparison> configs;     ///< bench: matched configurations, in A's order
  std::vector<std::string> only_in_a, only_in_b;  ///< bench: configuration keys on one side only
  std::vector<std::string> noise;            ///< the reports' own warnings, prefixed "A: " / "B: "
  std::string method;                        ///< how significance was decided
  double alpha = 0.01;
  double min_effect = 0.05;

  /// Differences that count for the exit status: any fact outside kOther, any
  /// configuration whose gap matters or that ran on one side only or failed on one.
  size_t mattering() const {
    size_t n = only_in_a.size() + only_in_b.size();
    for (const auto& d : differences) n += d.category != DiffCategory::kOther ? 1 : 0;
    for (const auto& c : configs) n += c.matters ? 1 : 0;
    return n;
  }
};

}  // namespace torchdiag
