#include "model/node_facts.h"

#include <algorithm>
#include <tuple>

namespace torchdiag {

std::vector<FrequencyPolicy> group_frequencies(const std::vector<CpuFrequency>& cpus) {
  std::vector<FrequencyPolicy> groups;
  const auto same = [](const FrequencyPolicy& g, const CpuFrequency& c) {
    return std::tie(g.governor, g.driver, g.min_khz, g.max_khz) == std::tie(c.governor, c.driver, c.min_khz, c.max_khz);
  };
  for (const auto& c : cpus) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const FrequencyPolicy& g) { return same(g, c); });
    if (it == groups.end()) {
      groups.push_back({{}, c.governor, c.driver, c.min_khz, c.max_khz, std::nullopt, std::nullopt});
      it = groups.end() - 1;
    }
    it->cpus.push_back(c.cpu);
    if (c.cur_khz) {
      it->cur_khz_min = it->cur_khz_min ? std::min(*it->cur_khz_min, *c.cur_khz) : *c.cur_khz;
      it->cur_khz_max = it->cur_khz_max ? std::max(*it->cur_khz_max, *c.cur_khz) : *c.cur_khz;
    }
  }
  return groups;
}

}  // namespace torchdiag
