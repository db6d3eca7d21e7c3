#pragma once
#include <string>

#include "model/bench_result.h"

namespace torchdiag {

/// An SVG with two panels, p50 latency and throughput against the thread setting,
/// one line per (workload, streams, allocator) series, with axes, ticks and a
/// legend so it reads without the table. Failed rows are left out of the lines.
std::string bench_to_svg(const BenchReport& report);

/// The XML declaration, the <svg> element of `width` x `height` (viewBox from 0,0)
/// and a white background: how every picture the tool draws begins.
std::string svg_open(double width, double height);

/// Escapes &, <, >, " and ' for XML text and attributes.
std::string xml_escape(const std::string& text);

}  // namespace torchdiag
