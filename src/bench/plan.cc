#include "bench/plan.h"

#include <algorithm>

#include "util/strings.h"

namespace torchdiag {

std::string parse_count_list(const std::string& text, const std::string& what, int max,
                             std::vector<int>& out) {
  out.clear();
  for (const auto raw : split(text, ',')) {
    const auto item = trim(raw);
    const auto v = parse_int(item);
    if (!v) return what + " '" + std::string(item) + "': not a number";
    if (*v < 1) return what + " '" + std::string(item) + "': must be at least 1";
    if (*v > max) return what + " '" + std::string(item) + "': more than " + std::to_string(max);
    if (std::find(out.begin(), out.end(), static_cast<int>(*v)) == out.end()) {
      out.push_back(static_cast<int>(*v));
    }
  }
  if (out.empty()) return what + ": empty list";
  return "";
}

std::string plan_threads(const std::string& text, int usable, int online,
                         std::vector<ThreadChoice>& out) {
  out.clear();
  std::vector<int> counts;
  bool current = false;
  if (trim(text) == "auto") {
    for (int t = 1; t < usable; t *= 2) counts.push_back(t);
    counts.push_back(std::max(1, usable));
    counts.push_back(std::max(1, online));
    current = true;
  } else {
    std::vector<std::string> numeric;
    for (const auto raw : split(text, ',')) {
      const auto item = trim(raw);
      if (item == "current") current = true;
      else numeric.emplace_back(item);
    }
    if (!numeric.empty()) {
      std::vector<int> parsed;
      const auto err = parse_count_list(join(numeric, ","), "--threads", kMaxThreads, parsed);
      if (!err.empty()) return err;
      counts = parsed;
    }
  }
  std::sort(counts.begin(), counts.end());
  counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
  out.assign(counts.begin(), counts.end());
  if (current) out.push_back(std::nullopt);
  if (out.empty()) return "--threads: empty list";
  return "";
}

std::vector<BenchSpec> plan_sweep(const BenchSpec& base, const std::vector<Workload>& workloads,
                                  const std::vector<ThreadChoice>& threads, const std::vector<int>& streams,
                                  const std::vector<Allocator>& allocators) {
  std::vector<BenchSpec> out;
  for (const auto w : workloads) {
    for (const auto a : allocators) {
      for (int s : streams) {
        for (const auto& t : threads) {
          BenchSpec c = base;
          c.workload = w;
          c.allocator = a;
          c.streams = s;
          c.threads = t;
          out.push_back(std::move(c));
        }
      }
    }
  }
  return out;
}

}  // namespace torchdiag
