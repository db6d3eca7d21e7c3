#pragma once
#include <optional>
#include <string>
#include <vector>

#include "model/enum_names.h"

namespace torchdiag {

/// The API a thread-pool library implements.
enum class PoolApi { kOpenmp, kBlas };
constexpr EnumNames<PoolApi, 2> names_of(PoolApi) {
  return {{{PoolApi::kOpenmp, "openmp"}, {PoolApi::kBlas, "blas"}}};
}

/// A thread-pool library loaded into a process (threadpoolctl's view).
struct ThreadPoolLib {
  std::string library;         ///< family: "libgomp", "libiomp", "libomp", "libopenblas", ...
  PoolApi api = PoolApi::kOpenmp;
  std::string path;            ///< path of the loaded object
  std::optional<int> threads;  ///< current thread count, when it could be queried
};

/// LibTorch's own view of this environment, reported by torchdiag-worker.
struct TorchFacts {
  bool available = false;
  std::string reason;          ///< why not available (worker missing, crashed, ...)
  std::string version;
  std::string backend;         ///< parallel backend: "OpenMP", "native thread pool", "TBB"
  int intra_op_threads = 0;    ///< what at::get_num_threads() gives with nothing set
  int interop_threads = 0;
  std::string openmp_runtime;  ///< path of the OpenMP runtime in the worker, "" if none
  std::optional<int> omp_max_threads;
  bool mkl = false;
  bool mkldnn = false;
  std::string blas;            ///< path of the BLAS library actually loaded
  bool blas_is_reference = false;
  std::vector<ThreadPoolLib> threadpools;
  std::string allocator;       ///< "glibc", "jemalloc", "tcmalloc", "mimalloc"
  std::string jemalloc_path;   ///< installed libjemalloc.so.2, "" when not installed
  std::string parallel_info;   ///< at::get_parallel_info()
  std::string config;          ///< at::show_config()
  double worker_start_s = 0;   ///< wall time from spawn to report
};

/// Per-thread scheduling counters from /proc/PID/task/TID/status.
struct ThreadSched {
  int tid = 0;
  std::string name;
  long long voluntary_switches = 0;
  long long involuntary_switches = 0;
};

/// Another process, seen through /proc/PID (`inspect --pid`).
struct ProcessFacts {
  int pid = 0;
  std::string comm;
  int thread_count = 0;
  std::vector<ThreadSched> threads;
  std::vector<ThreadPoolLib> threadpools;  ///< from /proc/PID/maps; threads unknown
  std::string allocator;
  std::string error;  ///< e.g. permission denied while reading maps
};

}  // namespace torchdiag
