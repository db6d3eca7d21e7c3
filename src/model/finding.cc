#include "model/finding.h"

namespace torchdiag {

bool has_problem(const std::vector<Finding>& findings) {
  for (const auto& f : findings) {
    if (f.severity != Severity::kInfo) return true;
  }
  return false;
}

}  // namespace torchdiag
