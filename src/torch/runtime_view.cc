#include "torch/runtime_view.h"

#include <ATen/Parallel.h>
#include <ATen/Context.h>
#include <ATen/Version.h>
#include <torch/version.h>

#include <dlfcn.h>

#include "sys/threadpool_libs.h"
#include "sys/loaded_libs.h"

namespace torchdiag {
namespace {

std::string parse_backend(const std::string& info) {
  const std::string key = "ATen parallel backend: ";
  const auto pos = info.find(key);
  if (pos == std::string::npos) return "unknown";
  const auto end = info.find('\n', pos);
  return info.substr(pos + key.size(), end - pos - key.size());
}

}  // namespace

const char* torch_version() { return TORCH_VERSION; }

TorchFacts torch_runtime_view() {
  TorchFacts t;
  t.available = true;
  t.version = TORCH_VERSION;
  // Ask before anything sets them: these are what an application gets by default.
  t.intra_op_threads = at::get_num_threads();
  t.interop_threads = at::get_num_interop_threads();
  t.parallel_info = at::get_parallel_info();
  t.config = at::show_config();
  t.backend = parse_backend(t.parallel_info);
  t.mkl = at::hasMKL();
  t.mkldnn = at::hasMKLDNN();
  const auto objects = loaded_objects();
  t.threadpools = loaded_threadpools(objects);
  for (const auto& p : t.threadpools) {
    if (p.api == PoolApi::kOpenmp && t.openmp_runtime.empty()) {
      t.openmp_runtime = p.path;
      t.omp_max_threads = p.threads;
    }
  }
  for (const auto& path : objects) {
    const auto lib = classify_threadpool_lib(path);
    if ((lib && lib->api == PoolApi::kBlas) || is_reference_blas(path)) {
      t.blas = path;
      t.blas_is_reference = is_reference_blas(path);
      break;
    }
  }
  t.allocator = find_allocator(objects);
  if (t.allocator == "jemalloc" && !jemalloc_stats()) t.allocator = "jemalloc (mallctl missing)";
  t.jemalloc_path = installed_jemalloc();
  return t;
}

}  // namespace torchdiag
