#pragma once
// Reports read back from their JSON contracts (inspect, bench, watch), for `diff`. The
// schemas are written in this folder, so they are read here too.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "model/diff_report.h"
#include "util/expected.h"

namespace torchdiag {

/// Parses a report's JSON text. The facts are the report's leaves by path, with array
/// elements named by their identity ("processes[python3]", "cgroups[/kubepods/x]")
/// and per-run noise left out (timestamps, pids, counters since boot, timelines).
/// Failures name the problem: "not JSON (...)", "not a torchdiag report (no schema)",
/// "schema 'torchdiag.inspect/2' is not one this torchdiag reads (torchdiag.inspect/1, ...)".
Expected<ComparableReport> read_report(std::string_view text, const std::string& source);
/// The same for a report already parsed (a snapshot inspected in this process).
Expected<ComparableReport> read_report_json(const nlohmann::json& report, const std::string& source);

}  // namespace torchdiag
