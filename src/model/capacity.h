#pragma once
#include <string>

namespace torchdiag {

/// How many CPUs this process may use, derived from CpuFacts and CgroupFacts.
struct Capacity {
  int allowed_cpus = 1;     ///< ceil(min(quota, affinity count))
  int usable_threads = 1;   ///< floor(quota) >= 1, <= affinity count, <= physical cores under SMT
  std::string limited_by;   ///< what set usable_threads: "quota", "affinity", "physical cores", ...
};

}  // namespace torchdiag
