#pragma once
#include <string>

#include "model/enum_names.h"

namespace torchdiag {

/// What set usable_threads.
enum class LimitedBy { kAffinity, kQuota, kPhysicalCores, kUnknown };
constexpr EnumNames<LimitedBy, 4> names_of(LimitedBy) {
  return {{{LimitedBy::kAffinity, "affinity"}, {LimitedBy::kQuota, "quota"}, {LimitedBy::kPhysicalCores, "physical cores"}, {LimitedBy::kUnknown, "unknown"}}};
}

/// How many CPUs this process may use, derived from CpuFacts and CgroupFacts.
struct Capacity {
  int allowed_cpus = 1;     ///< ceil(min(quota, affinity count))
  int usable_threads = 1;   ///< floor(quota) >= 1, <= affinity count, <= physical cores under SMT
  LimitedBy limited_by = LimitedBy::kAffinity;
};

}  // namespace torchdiag
