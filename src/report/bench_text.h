#pragma once
#include <string>

#include "model/bench_result.h"

namespace torchdiag {

/// Human-readable: the facts line, a table per workload (best row marked with '*'),
/// a bar chart of p50 latency per configuration, warnings. `verbose` adds columns.
std::string bench_to_text(const BenchReport& report, bool verbose);

/// GitHub-flavoured Markdown tables, one per workload.
std::string bench_to_markdown(const BenchReport& report);

/// "1.23 ms", "456 us", "2.01 s".
std::string format_duration(double seconds);

}  // namespace torchdiag
