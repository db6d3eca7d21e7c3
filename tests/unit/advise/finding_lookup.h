#pragma once
// Picking findings by id in advise tests.
#include <string>
#include <vector>

#include "model/finding.h"

namespace torchdiag::testing {

/// Every finding with `id`, in order.
inline std::vector<const Finding*> all_of(const std::vector<Finding>& findings, const std::string& id) {
  std::vector<const Finding*> out;
  for (const auto& f : findings) {
    if (f.id == id) out.push_back(&f);
  }
  return out;
}

/// The only finding with `id`; null when there is none or more than one.
inline const Finding* one_of(const std::vector<Finding>& findings, const std::string& id) {
  const auto found = all_of(findings, id);
  return found.size() == 1 ? found.front() : nullptr;
}

/// The pointers point into `findings`: a temporary would leave them dangling.
std::vector<const Finding*> all_of(std::vector<Finding>&&, const std::string&) = delete;
const Finding* one_of(std::vector<Finding>&&, const std::string&) = delete;

}  // namespace torchdiag::testing
