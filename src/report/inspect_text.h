#pragma once
#include <string>

#include "model/inspect_report.h"

namespace torchdiag {

/// The human-readable inspect report. `verbose` adds LibTorch's parallel info and config.
std::string inspect_to_text(const InspectReport& report, bool verbose);

}  // namespace torchdiag
