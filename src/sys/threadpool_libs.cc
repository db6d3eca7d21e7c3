#include "sys/threadpool_libs.h"

#include <algorithm>
#include <set>

#include "util/strings.h"

namespace torchdiag {
namespace {

std::string_view basename_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

/// True when `name` is `stem` followed by ".so", "-<hash>" or "_<tag>" etc.
bool has_stem(std::string_view name, std::string_view stem) {
  if (!starts_with(name, stem) || name.size() == stem.size()) return false;
  const char next = name[stem.size()];
  return next == '.' || next == '-' || next == '_';
}

struct Known {
  const char* stem;
  const char* family;
  PoolApi api;
};

constexpr Known kPools[] = {
    {"libgomp", "libgomp", PoolApi::kOpenmp},         {"libiomp5", "libiomp", PoolApi::kOpenmp},
    {"libiomp", "libiomp", PoolApi::kOpenmp},         {"libomp", "libomp", PoolApi::kOpenmp},
    {"libopenblas", "libopenblas", PoolApi::kBlas},   {"libopenblasp", "libopenblas", PoolApi::kBlas},
    {"libopenblaso", "libopenblas", PoolApi::kBlas},  {"libopenblas64", "libopenblas", PoolApi::kBlas},
    {"libmkl_rt", "libmkl_rt", PoolApi::kBlas},
    {"libblis", "libblis", PoolApi::kBlas},           {"libflexiblas", "libflexiblas", PoolApi::kBlas},
};

}  // namespace

std::optional<ThreadPoolLib> classify_threadpool_lib(std::string_view path) {
  const auto name = basename_of(path);
  for (const auto& k : kPools) {
    if (has_stem(name, k.stem)) return ThreadPoolLib{k.family, k.api, std::string(path), std::nullopt};
  }
  // Debian's BLAS alternatives install OpenBLAS and BLIS as ".../openblas-pthread/libblas.so.3".
  if (starts_with(name, "libblas.so")) {
    if (path.find("openblas") != std::string_view::npos) {
      return ThreadPoolLib{"libopenblas", PoolApi::kBlas, std::string(path), std::nullopt};
    }
    if (path.find("blis") != std::string_view::npos) {
      return ThreadPoolLib{"libblis", PoolApi::kBlas, std::string(path), std::nullopt};
    }
  }
  return std::nullopt;
}

std::optional<std::string> classify_allocator(std::string_view path) {
  const auto name = basename_of(path);
  for (const char* a : {"jemalloc", "tcmalloc", "mimalloc"}) {
    const std::string stem = std::string("lib") + a;
    if (has_stem(name, stem) || starts_with(name, stem + "_minimal")) return std::string(a);
  }
  return std::nullopt;
}

bool is_reference_blas(std::string_view path) {
  const auto name = basename_of(path);
  if (starts_with(name, "librefblas")) return true;
  if (!starts_with(name, "libblas.so")) return false;
  for (const char* optimised : {"openblas", "blis", "atlas", "mkl", "flexiblas"}) {
    if (path.find(optimised) != std::string_view::npos) return false;
  }
  return true;
}

std::vector<std::string> parse_maps_paths(std::string_view maps_text) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto line : split(maps_text, '\n')) {
    const auto fields = split_ws(line);
    if (fields.size() < 6 || fields[5].empty() || fields[5].front() != '/') continue;
    // The path is everything from the sixth field on (it may contain spaces).
    const auto start = static_cast<size_t>(fields[5].data() - line.data());
    std::string path(trim(line.substr(start)));
    if (seen.insert(path).second) out.push_back(path);
  }
  return out;
}

std::vector<ThreadPoolLib> find_threadpools(const std::vector<std::string>& paths) {
  std::vector<ThreadPoolLib> out;
  for (const auto& p : paths) {
    if (auto lib = classify_threadpool_lib(p)) out.push_back(*lib);
  }
  return out;
}

std::vector<std::string> find_frameworks(const std::vector<std::string>& paths) {
  struct Framework {
    const char* stem;
    const char* name;
  };
  constexpr Framework kFrameworks[] = {{"libtorch", "libtorch"},
                                       {"libc10", "libtorch"},
                                       {"libonnxruntime", "onnxruntime"},
                                       {"onnxruntime_pybind11_state", "onnxruntime"},
                                       {"libtensorflow", "tensorflow"}};
  std::vector<std::string> out;
  for (const auto& p : paths) {
    const auto name = basename_of(p);
    for (const auto& f : kFrameworks) {
      if (!has_stem(name, f.stem)) continue;
      if (std::find(out.begin(), out.end(), f.name) == out.end()) out.emplace_back(f.name);
    }
  }
  return out;
}

std::string find_allocator(const std::vector<std::string>& paths) {
  for (const auto& p : paths) {
    if (auto a = classify_allocator(p)) return *a;
  }
  return "glibc";
}

}  // namespace torchdiag
