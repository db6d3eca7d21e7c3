#pragma once
// Findings in the text and JSON forms every report shares.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/finding.h"

namespace torchdiag {

/// "Findings" and one "[severity] id: message" line plus a "fix:" line per finding;
/// `none` is printed when there is none.
void append_findings_text(const std::vector<Finding>& findings, std::string_view none, std::string& out);

/// [{"id", "severity", "subject" (null for the whole report), "message", "fix"}, ...]
nlohmann::json findings_json(const std::vector<Finding>& findings);

}  // namespace torchdiag
