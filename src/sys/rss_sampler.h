#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "sys/fs_reader.h"

namespace torchdiag {

/// VmRSS of a /proc/PID/status text, in bytes; nullopt when absent (kernel threads,
/// a process that exited) or malformed.
std::optional<int64_t> parse_vm_rss_bytes(std::string_view status_text);

/// Samples of one process's resident set over time.
class RssSampler {
 public:
  explicit RssSampler(const FsReader& fs) : fs_(fs) {}
  /// Reads /proc/PID/status now; `t_s` is the sample's time stamp. Returns the RSS
  /// read, if any; the last successful sample is kept.
  std::optional<int64_t> sample(int pid, double t_s);
  const std::vector<std::pair<double, int64_t>>& timeline() const { return timeline_; }
  std::optional<int64_t> last() const;
  std::optional<int64_t> peak() const;
  std::optional<int64_t> mean() const;

 private:
  const FsReader& fs_;
  std::vector<std::pair<double, int64_t>> timeline_;
};

}  // namespace torchdiag
