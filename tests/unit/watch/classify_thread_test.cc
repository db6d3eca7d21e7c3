// Which pool a thread of a watched process belongs to, from its name and the
// libraries the process maps.
#include "watch/watcher.h"

#include <catch2/catch.hpp>

#include <string>

using namespace torchdiag;

TEST_CASE("classify_thread sorts threads into pools by name", "[watch][classify]") {
  struct Row {
    const char* what;
    int tid;
    const char* name;
    bool maps_openmp;
    bool maps_blas;
    ThreadKind want;
  };
  const int pid = 1000;
  const Row rows[] = {
      {"the main thread", 1000, "python3", true, true, ThreadKind::kMain},
      {"the main thread, renamed", 1000, "pt_thread_pool", true, false, ThreadKind::kMain},
      {"PyTorch's inter-op pool", 1001, "pt_thread_pool", true, true, ThreadKind::kInterop},
      {"an inter-op thread", 1002, "pt_interop", false, false, ThreadKind::kInterop},
      {"a numbered inter-op thread", 1003, "pt_interop_7", true, false, ThreadKind::kInterop},
      {"a worker named like the main thread, OpenMP mapped", 1004, "python3", true, false, ThreadKind::kOpenmp},
      {"OpenMP wins when BLAS is mapped too", 1005, "python3", true, true, ThreadKind::kOpenmp},
      {"a worker named like the main thread, only BLAS mapped", 1006, "python3", false, true, ThreadKind::kBlas},
      {"a worker named like the main thread, no pool mapped", 1007, "python3", false, false, ThreadKind::kOther},
      {"a differently named thread", 1008, "grpc_global_tim", true, true, ThreadKind::kOther},
      {"a name that only starts like the main thread's", 1009, "python3.11", true, true, ThreadKind::kOther},
      {"a name differing in case", 1010, "Python3", true, true, ThreadKind::kOther},
      {"pt_thread_pool is an exact name", 1011, "pt_thread_pool2", true, false, ThreadKind::kOther},
      {"pt_interop is a prefix", 1012, "xpt_interop", true, false, ThreadKind::kOther},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    CHECK(classify_thread(row.tid, row.name, pid, "python3", row.maps_openmp, row.maps_blas) == row.want);
  }
}

TEST_CASE("classify_thread for a process whose main thread is named like PyTorch's pool",
          "[watch][classify]") {
  // Inter-op names win over "named like the main thread".
  CHECK(classify_thread(11, "pt_thread_pool", 10, "pt_thread_pool", true, false) == ThreadKind::kInterop);
  CHECK(classify_thread(11, "pt_interop", 10, "pt_interop", true, false) == ThreadKind::kInterop);
  CHECK(classify_thread(10, "pt_interop", 10, "pt_interop", true, false) == ThreadKind::kMain);
}
