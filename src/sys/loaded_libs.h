#pragma once
// Shared objects loaded into this process and the thread counts their pools report.
#include <optional>
#include <string>
#include <vector>

#include "model/bench_result.h"
#include "model/torch_facts.h"

namespace torchdiag {

/// Real paths of every object loaded into this process (dl_iterate_phdr), in load order.
std::vector<std::string> loaded_objects();

/// Asks the library for its current thread count through its own API, found with
/// dlsym in the already-loaded object (omp_get_max_threads, openblas_get_num_threads,
/// MKL_Get_Max_Threads, bli_thread_get_num_threads, flexiblas_get_num_threads).
std::optional<int> query_pool_threads(const ThreadPoolLib& lib);

/// Thread pools loaded in this process, with their thread counts filled in.
std::vector<ThreadPoolLib> loaded_threadpools(const std::vector<std::string>& objects = loaded_objects());

/// Path of an installed libjemalloc.so.2 suitable for LD_PRELOAD, "" when none.
std::string installed_jemalloc();

/// jemalloc's mallctl("stats.*") after refreshing "epoch"; nullopt when this process
/// does not run jemalloc (the proof that a preload really took effect).
std::optional<JemallocFigures> jemalloc_stats();

}  // namespace torchdiag
