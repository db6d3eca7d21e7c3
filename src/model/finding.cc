#include "model/finding.h"

namespace torchdiag {

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kCritical: return "critical";
  }
  return "info";
}

bool has_problem(const std::vector<Finding>& findings) {
  for (const auto& f : findings) {
    if (f.severity != Severity::kInfo) return true;
  }
  return false;
}

}  // namespace torchdiag
