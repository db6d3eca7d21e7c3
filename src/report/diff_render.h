#pragma once
// `torchdiag diff` as text (ranked, for a terminal), JSON (torchdiag.diff/1) and
// Markdown (for a ticket).
#include <string>

#include <nlohmann/json.hpp>

#include "model/diff_report.h"

namespace torchdiag {

/// Differences that matter grouped by category, most explanatory first; the rest
/// counted, and listed with `verbose`; bench configurations side by side.
std::string diff_to_text(const DiffReport& diff, bool verbose);
std::string diff_to_markdown(const DiffReport& diff, bool verbose);
nlohmann::json diff_to_json(const DiffReport& diff);

}  // namespace torchdiag
