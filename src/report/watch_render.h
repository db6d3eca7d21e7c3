#pragma once
// `torchdiag watch` reports: the text report, the `torchdiag.watch/1` JSON document,
// the live table redrawn on a terminal each interval, and the SVG timeline.
#include <string>

#include <nlohmann/json.hpp>

#include "model/watch_report.h"

namespace torchdiag {

/// The report a person reads: per process the verdict with its evidence, thread
/// groups and pools (with `verbose`, every group and the timeline), then the cgroups
/// and the findings.
std::string watch_to_text(const WatchReport& report, bool verbose);

/// The `torchdiag.watch/1` document (keys with base units; null plus a `*_reason`
/// where a figure is unavailable).
nlohmann::json watch_to_json(const WatchReport& report);

/// A compact table of the window so far, one line per process (at most `max_rows`,
/// busiest first), headed by the elapsed time; every line ends with '\n'.
std::string watch_live_table(const WatchReport& so_far, size_t max_rows);

/// Per process, runnable threads and CPUs used over time against the usable-threads
/// line, one panel each (at most 12 processes, busiest first).
std::string watch_to_svg(const WatchReport& report);

}  // namespace torchdiag
