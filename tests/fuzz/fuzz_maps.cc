// parse_maps_paths, find_threadpools and find_allocator (src/sys/threadpool_libs.h) on
// arbitrary /proc/PID/maps content. Invariants: paths are absolute and unique, and
// every path is classified without crashing (the classifiers look at basenames).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>

#include "fuzz_check.h"
#include "sys/threadpool_libs.h"

using torchdiag::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto paths = torchdiag::parse_maps_paths(torchdiag::fuzz::as_text(data, size));
  const std::set<std::string> unique(paths.begin(), paths.end());
  check(unique.size() == paths.size(), "maps paths are unique");
  for (const auto& p : paths) {
    check(!p.empty() && p.front() == '/', "a maps path is absolute");
    (void)torchdiag::is_reference_blas(p);
  }
  const auto pools = torchdiag::find_threadpools(paths);
  check(pools.size() <= paths.size(), "at most one thread pool per path");
  check(!torchdiag::find_allocator(paths).empty(), "an allocator is always named");
  return 0;
}
