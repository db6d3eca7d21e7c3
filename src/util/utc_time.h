#pragma once
#include <string>

namespace torchdiag {

/// The current time in UTC as ISO 8601 ("2026-11-30T08:11:56Z"), for reports.
std::string utc_now_iso8601();

}  // namespace torchdiag
