// parse_proc_cgroup (src/probe/cgroup_files.h) on arbitrary /proc/PID/cgroup text.
// Invariants: every line kept has a non-negative hierarchy ID and a non-empty path.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.h"
#include "probe/cgroup_files.h"

using torchdiag::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (const auto& line : torchdiag::parse_proc_cgroup(torchdiag::fuzz::as_text(data, size))) {
    check(!line.path.empty(), "a parsed cgroup line has a path");
    check(line.path.size() <= size, "the cgroup path comes from the input");
  }
  return 0;
}
