// parse_cpu_list, parse_cpu_mask and format_cpu_list (src/util/cpu_list.h) on arbitrary
// text: the input is parsed both as a list and as a mask. Invariants: a successful
// parse is sorted, duplicate-free and below kMaxCpus, and formatting it then parsing it
// again as a list gives the same set (the round trip snapshots and reports rely on).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_check.h"
#include "util/cpu_list.h"

using torchdiag::CpuSet;
using torchdiag::fuzz::check;

namespace {

void check_set(const CpuSet& cpus) {
  check(std::is_sorted(cpus.begin(), cpus.end()), "parsed CPU set is sorted");
  check(std::adjacent_find(cpus.begin(), cpus.end()) == cpus.end(),
        "parsed CPU set has no duplicates");
  check(cpus.empty() || cpus.front() >= 0, "parsed CPU numbers are non-negative");
  check(cpus.empty() || cpus.back() < torchdiag::kMaxCpus, "parsed CPU numbers are below kMaxCpus");
}

void check_round_trip(const CpuSet& cpus) {
  const auto again = torchdiag::parse_cpu_list(torchdiag::format_cpu_list(cpus));
  check(again.ok(), "format_cpu_list output parses as a CPU list");
  check(again.cpus == cpus, "parse_cpu_list(format_cpu_list(cpus)) == cpus");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = torchdiag::fuzz::as_text(data, size);
  const auto list = torchdiag::parse_cpu_list(text);
  if (list.ok()) {
    check_set(list.cpus);
    check_round_trip(list.cpus);
  } else {
    check(list.cpus.empty(), "a failed list parse has no CPUs");
  }
  const auto mask = torchdiag::parse_cpu_mask(text);
  if (mask.ok()) {
    check_set(mask.cpus);
    check_round_trip(mask.cpus);
  } else {
    check(mask.cpus.empty(), "a failed mask parse has no CPUs");
  }
  return 0;
}
