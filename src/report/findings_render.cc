#include "report/findings_render.h"

#include <fmt/format.h>

namespace torchdiag {

void append_findings_text(const std::vector<Finding>& findings, std::string_view none, std::string& out) {
  out += "Findings\n";
  if (findings.empty()) out += fmt::format("  none: {}\n", none);
  for (const auto& f : findings) {
    out += fmt::format("  [{}] {}: {}\n", to_string(f.severity), f.id, f.message);
    out += fmt::format("      fix: {}\n", f.fix);
  }
}

nlohmann::json findings_json(const std::vector<Finding>& findings) {
  auto out = nlohmann::json::array();
  for (const auto& f : findings) {
    out.push_back({{"id", f.id},
                   {"severity", to_string(f.severity)},
                   {"subject", f.subject.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.subject)},
                   {"message", f.message},
                   {"fix", f.fix}});
  }
  return out;
}

}  // namespace torchdiag
