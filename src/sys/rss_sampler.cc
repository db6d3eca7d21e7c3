#include "sys/rss_sampler.h"

#include <algorithm>
#include <limits>
#include <string>

#include "util/strings.h"
#include "sys/kernel_paths.h"

namespace torchdiag {

std::optional<int64_t> parse_vm_rss_bytes(std::string_view status_text) {
  for (const auto line : split(status_text, '\n')) {
    if (!starts_with(line, "VmRSS:")) continue;
    const auto fields = split_ws(trim(line.substr(6)));
    if (fields.size() != 2 || fields[1] != "kB") return std::nullopt;
    const auto kb = parse_int(fields[0]);
    if (!kb || *kb < 0 || *kb > std::numeric_limits<int64_t>::max() / 1024) return std::nullopt;
    return *kb * 1024;
  }
  return std::nullopt;
}

std::optional<int64_t> RssSampler::sample(int pid, double t_s) {
  const auto f = fs_.read(paths::proc_dir(pid) + "/status");
  if (!f.ok()) return std::nullopt;
  const auto rss = parse_vm_rss_bytes(f.text);
  if (rss) timeline_.emplace_back(t_s, *rss);
  return rss;
}

std::optional<int64_t> RssSampler::last() const {
  if (timeline_.empty()) return std::nullopt;
  return timeline_.back().second;
}

std::optional<int64_t> RssSampler::peak() const {
  if (timeline_.empty()) return std::nullopt;
  int64_t best = 0;
  for (const auto& s : timeline_) best = std::max(best, s.second);
  return best;
}

std::optional<int64_t> RssSampler::mean() const {
  if (timeline_.empty()) return std::nullopt;
  double sum = 0;
  for (const auto& s : timeline_) sum += static_cast<double>(s.second);
  return static_cast<int64_t>(sum / static_cast<double>(timeline_.size()));
}

}  // namespace torchdiag
