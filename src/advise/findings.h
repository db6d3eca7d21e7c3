#pragma once
#include <string_view>
#include <vector>

#include "model/finding.h"
#include "model/inspect_report.h"

namespace torchdiag {

/// Options that change how findings are judged.
struct DiagnoseOptions {
  int engine_threads = 1;  ///< concurrent inference threads per process, when the user knows
};

/// All findings for a report whose facts and capacity are filled in. Pure: the same
/// report always gives the same findings, in a stable order (most severe first).
std::vector<Finding> diagnose(const InspectReport& report, const DiagnoseOptions& options = {});

/// A thread-count variable's value as a count: a positive integer up to 1,000,000
/// (surrounding spaces allowed); nullopt for anything else ("4,2", "1.5", "0", "").
std::optional<int> parse_thread_count(std::string_view value);

/// The thread count an environment asks LibTorch for: MKL_NUM_THREADS beats
/// OMP_NUM_THREADS (as at::init_num_threads does). nullopt when neither is a positive int.
std::optional<int> env_intra_op_threads(const std::map<std::string, std::string>& vars);

}  // namespace torchdiag
