#pragma once
// CPU lists ("0-3,8,10-11") and hex masks ("ff,0000000f") as the kernel prints them.
// Format reference: Documentation/admin-guide/cputopology.rst and cpuset(7).
#include <string>
#include <string_view>
#include <vector>

namespace torchdiag {

/// A sorted, duplicate-free set of CPU numbers.
using CpuSet = std::vector<int>;

/// Result of a list or mask parse: `cpus` is valid only when `error` is empty.
struct CpuSetParse {
  CpuSet cpus;
  std::string error;
  bool ok() const { return error.empty(); }
};

/// CPU numbers at or above this are malformed (Linux's NR_CPUS is at most 8192 today).
/// Bounds the work and memory of a parse whatever the input: time is linear in the
/// text plus kMaxCpus.
inline constexpr long long kMaxCpus = 65536;

/// Parses a kernel CPU list such as "0-3,8" (whitespace around it is ignored,
/// an empty list is valid and empty). CPU numbers of kMaxCpus and above are rejected.
CpuSetParse parse_cpu_list(std::string_view text);

/// Parses a comma-separated hex mask such as "ff,0000000f" (most significant word
/// first, as in /proc/PID/status Cpus_allowed). Works for any number of words; a set
/// bit at kMaxCpus or above is rejected.
CpuSetParse parse_cpu_mask(std::string_view text);

/// Formats CPUs back into the compact kernel list form ("0-3,8").
std::string format_cpu_list(const CpuSet& cpus);

/// Intersection of two sorted sets.
CpuSet intersect(const CpuSet& a, const CpuSet& b);

}  // namespace torchdiag
