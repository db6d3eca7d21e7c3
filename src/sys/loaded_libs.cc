#include "sys/loaded_libs.h"

#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <set>

#include "sys/threadpool_libs.h"

namespace torchdiag {
namespace {

int collect(struct dl_phdr_info* info, size_t, void* data) {
  auto* out = static_cast<std::vector<std::string>*>(data);
  if (info->dlpi_name && info->dlpi_name[0] == '/') {
    char buf[PATH_MAX];
    out->push_back(::realpath(info->dlpi_name, buf) ? buf : info->dlpi_name);
  }
  return 0;
}

template <class Fn>
Fn lookup(void* handle, const char* name) {
  return reinterpret_cast<Fn>(::dlsym(handle, name));
}

}  // namespace

std::vector<std::string> loaded_objects() {
  std::vector<std::string> paths;
  ::dl_iterate_phdr(collect, &paths);
  std::vector<std::string> unique;
  std::set<std::string> seen;
  for (auto& p : paths) {
    if (seen.insert(p).second) unique.push_back(p);
  }
  return unique;
}

std::optional<int> query_pool_threads(const ThreadPoolLib& lib) {
  void* h = ::dlopen(lib.path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (!h) return std::nullopt;
  using IntFn = int (*)();
  IntFn fn = nullptr;
  if (lib.api == PoolApi::kOpenmp) fn = lookup<IntFn>(h, "omp_get_max_threads");
  else if (lib.library == "libopenblas") fn = lookup<IntFn>(h, "openblas_get_num_threads");
  else if (lib.library == "libmkl_rt") fn = lookup<IntFn>(h, "MKL_Get_Max_Threads");
  else if (lib.library == "libblis") fn = lookup<IntFn>(h, "bli_thread_get_num_threads");
  else if (lib.library == "libflexiblas") fn = lookup<IntFn>(h, "flexiblas_get_num_threads");
  std::optional<int> out;
  if (fn) out = fn();
  ::dlclose(h);
  return out;
}

std::vector<ThreadPoolLib> loaded_threadpools(const std::vector<std::string>& objects) {
  auto pools = find_threadpools(objects);
  for (auto& p : pools) p.threads = query_pool_threads(p);
  return pools;
}

std::string installed_jemalloc() {
  for (const char* dir : {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                          "/usr/lib", "/usr/local/lib"}) {
    const std::string path = std::string(dir) + "/libjemalloc.so.2";
    if (::access(path.c_str(), R_OK) == 0) return path;
  }
  return "";
}

std::optional<JemallocFigures> jemalloc_stats() {
  using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
  auto mallctl = reinterpret_cast<Mallctl>(::dlsym(RTLD_DEFAULT, "mallctl"));
  if (!mallctl) return std::nullopt;
  uint64_t epoch = 1;
  size_t len = sizeof epoch;
  mallctl("epoch", &epoch, &len, &epoch, len);
  JemallocFigures s;
  const std::pair<const char*, int64_t*> keys[] = {{"stats.allocated", &s.allocated},
                                                   {"stats.active", &s.active},
                                                   {"stats.resident", &s.resident},
                                                   {"stats.mapped", &s.mapped}};
  for (const auto& [key, dest] : keys) {
    size_t value = 0;
    size_t sz = sizeof value;
    if (mallctl(key, &value, &sz, nullptr, 0) != 0) return std::nullopt;
    *dest = static_cast<int64_t>(value);
  }
  return s;
}

}  // namespace torchdiag
