#pragma once
#include <nlohmann/json.hpp>

#include "model/inspect_report.h"

namespace torchdiag {

/// The `torchdiag.inspect/1` document. Keys with base units; unavailable facts are
/// null with a sibling entry in `unavailable` giving the reason and path.
nlohmann::json inspect_to_json(const InspectReport& report);

}  // namespace torchdiag
