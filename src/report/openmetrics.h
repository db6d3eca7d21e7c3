#pragma once
// Reports as metrics: the OpenMetrics text format (every family with # HELP and
// # TYPE, # UNIT where the name ends in a unit, label values escaped, # EOF at the end),
// which is also Prometheus text format that node_exporter's textfile collector reads.
// Every family is a gauge; "_info" families carry their facts in labels, with value 1.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "model/inspect_report.h"
#include "model/recommendation.h"
#include "model/watch_report.h"

namespace torchdiag {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

/// Collects samples by family, in the order families first appear.
class MetricsText {
 public:
  /// Adds one sample of the gauge family `name` (documented by `help` the first time);
  /// a sample whose labels repeat an earlier one of the family is dropped.
  void gauge(const std::string& name, const std::string& help, const MetricLabels& labels, double value);
  /// The text, ending with "# EOF\n".
  std::string finish() const;

 private:
  struct Family {
    std::string name;
    std::string help;
    std::vector<std::string> samples;
  };
  std::vector<Family> families_;
};

/// A label value escaped for the text format: \ " and newline, invalid UTF-8 replaced.
std::string escape_label_value(const std::string& value);

/// torchdiag_build_info, CPU facts, usable threads, LibTorch's intra-op threads when
/// known, one torchdiag_finding_info per finding.
std::string inspect_to_openmetrics(const InspectReport& report);

/// Per process (the `max_series` with the most threads; the rest are counted in
/// torchdiag_watch_processes_dropped), per cgroup of a process kept, the round's
/// duration and time, and one torchdiag_finding_info per finding about what was kept.
/// `unix_time_s` stamps the round.
std::string watch_to_openmetrics(const WatchReport& report, size_t max_series, double unix_time_s);

/// torchdiag_recommended_threads per numeric variable and torchdiag_recommend_info.
std::string recommend_to_openmetrics(const Recommendation& rec);

}  // namespace torchdiag
