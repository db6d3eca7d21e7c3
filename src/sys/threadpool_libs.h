#pragma once
// Recognising thread-pool libraries and allocators by file name, as threadpoolctl
// does. Bundled copies are renamed (pip wheels ship libgomp-a34b3233.so.1), so the
// match is on the basename's prefix, not the exact name.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/torch_facts.h"

namespace torchdiag {

/// Family and API of a shared object path, e.g. "/x/libgomp-a34b.so.1" -> {"libgomp", PoolApi::kOpenmp}.
std::optional<ThreadPoolLib> classify_threadpool_lib(std::string_view path);

/// "jemalloc", "tcmalloc", "mimalloc" for an allocator library path, else nullopt.
std::optional<std::string> classify_allocator(std::string_view path);

/// True for the netlib reference BLAS (libblas.so.3 from Debian's libblas3, or a path
/// under a "blas/" alternatives directory that is not OpenBLAS/BLIS/MKL).
bool is_reference_blas(std::string_view path);

/// Unique file-backed paths in /proc/PID/maps content, in first-seen order.
std::vector<std::string> parse_maps_paths(std::string_view maps_text);

/// Inference frameworks among loaded object paths, each named once in first-seen
/// order: "libtorch" (libtorch*.so, libc10.so), "onnxruntime" (libonnxruntime*.so,
/// onnxruntime_pybind11_state*.so), "tensorflow" (libtensorflow*.so).
std::vector<std::string> find_frameworks(const std::vector<std::string>& paths);

/// Thread pools and allocator among loaded object paths.
std::vector<ThreadPoolLib> find_threadpools(const std::vector<std::string>& paths);
std::string find_allocator(const std::vector<std::string>& paths);  ///< "glibc" when none

}  // namespace torchdiag
