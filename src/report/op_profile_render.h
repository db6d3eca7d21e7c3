#pragma once
// bench --profile in every form: the Chrome trace of a configuration's profiled calls,
// its operator table (text, Markdown, CSV, JSON) and the per-operator scaling across
// thread counts (text, JSON, SVG).
#include <string>

#include <nlohmann/json.hpp>

#include "model/bench_result.h"

namespace torchdiag {

/// Chrome's trace event format ({"traceEvents": [{"name", "ph": "X", "ts", "dur",
/// "pid", "tid", "args"}, ...]}, microseconds): opens in Perfetto and chrome://tracing.
nlohmann::json chrome_trace(const ProfileSample& sample, const std::string& label);

/// A row's "profile" object, and the report's "op_scaling" array.
nlohmann::json op_profile_json(const OpProfile& profile);
nlohmann::json op_scaling_json(const std::vector<OpScaling>& scaling);

/// Per profiled configuration its top operators and framework overhead, then the
/// scaling readings; "" when nothing was profiled.
std::string op_profile_text(const BenchReport& report);
std::string op_profile_markdown(const BenchReport& report);

/// One line per (configuration, operator), header fixed:
/// config,name,shapes,calls_per_forward,self_s_per_call,share,thread
std::string op_profile_csv(const BenchReport& report);

/// Speed-up against the fewest threads, one line per top operator; "" when no
/// operator was followed across thread counts.
std::string op_scaling_svg(const BenchReport& report);

}  // namespace torchdiag
