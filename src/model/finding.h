#pragma once
#include <string>
#include <vector>

namespace torchdiag {

enum class Severity { kInfo, kWarning, kCritical };

/// "info", "warning" or "critical".
const char* severity_name(Severity s);

/// One diagnosis: a stable id, the evidence in the message and a concrete fix.
struct Finding {
  std::string id;
  Severity severity = Severity::kInfo;
  std::string message;
  std::string fix;
};

/// True when any finding is a warning or critical (what `inspect --check` gates on).
bool has_problem(const std::vector<Finding>& findings);

}  // namespace torchdiag
