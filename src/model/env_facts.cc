#include "model/env_facts.h"

namespace torchdiag {

const std::vector<std::string>& thread_env_names() {
  static const std::vector<std::string> names = {
      "OMP_NUM_THREADS",  "MKL_NUM_THREADS",  "OPENBLAS_NUM_THREADS", "BLIS_NUM_THREADS",
      "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "OMP_THREAD_LIMIT", "OMP_DYNAMIC",
      "OMP_WAIT_POLICY",  "OMP_PROC_BIND",    "OMP_PLACES",           "GOMP_SPINCOUNT",
      "GOMP_CPU_AFFINITY", "KMP_BLOCKTIME",   "KMP_AFFINITY",         "KMP_HW_SUBSET",
      "MKL_DYNAMIC",      "TORCH_NUM_THREADS", "LD_PRELOAD",          "MALLOC_CONF",
      "MALLOC_ARENA_MAX"};
  return names;
}

}  // namespace torchdiag
