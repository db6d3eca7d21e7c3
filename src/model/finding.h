#pragma once
#include <string>
#include <vector>

#include "model/enum_names.h"

namespace torchdiag {

enum class Severity { kInfo, kWarning, kCritical };
constexpr EnumNames<Severity, 3> names_of(Severity) {
  return {{{Severity::kInfo, "info"}, {Severity::kWarning, "warning"}, {Severity::kCritical, "critical"}}};
}

/// One diagnosis: a stable id, the evidence in the message and a concrete fix.
struct Finding {
  std::string id;
  Severity severity = Severity::kInfo;
  std::string message;
  std::string fix;
  std::string subject;  ///< what it is about when not the whole report: "OMP_NUM_THREADS", "pid 123", "cgroup /x"
};

/// True when any finding is a warning or critical (what `inspect --check` gates on).
bool has_problem(const std::vector<Finding>& findings);

}  // namespace torchdiag
