#pragma once
// A warning with a stable id (what tests and scripts match on) and the sentence a
// person reads. Reports print the message; the id names the kind.
#include <string>
#include <vector>

namespace torchdiag {

struct Warning {
  std::string id;       ///< stable, kebab-case: "wide-spread", "governor-not-performance", ...
  std::string message;  ///< readable on its own, with the evidence
};

/// The messages alone, in order (what the text and JSON forms print).
inline std::vector<std::string> warning_messages(const std::vector<Warning>& warnings) {
  std::vector<std::string> out;
  for (const auto& w : warnings) out.push_back(w.message);
  return out;
}

}  // namespace torchdiag
