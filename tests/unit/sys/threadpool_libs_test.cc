#include "sys/threadpool_libs.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "util/strings.h"

using namespace torchdiag;

TEST_CASE("classify_threadpool_lib recognises OpenMP and BLAS libraries", "[probe][libs]") {
  struct Row {
    const char* path;
    const char* library;  // nullptr: not a thread pool
    const char* api;
  };
  const Row rows[] = {
      {"/usr/lib/x86_64-linux-gnu/libgomp.so.1", "libgomp", "openmp"},
      {"/usr/lib/x86_64-linux-gnu/libgomp.so.1.0.0", "libgomp", "openmp"},
      {"/opt/venv/lib/python3.11/site-packages/torch.libs/libgomp-a34b3233.so.1", "libgomp",
       "openmp"},
      {"libgomp.so.1", "libgomp", "openmp"},
      {"/opt/intel/lib/libiomp5.so", "libiomp", "openmp"},
      {"/usr/lib/llvm-14/lib/libomp.so.5", "libomp", "openmp"},
      {"/usr/lib/x86_64-linux-gnu/libomp-1a2b3c4d.so", "libomp", "openmp"},
      {"/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3", "libopenblas", "blas"},
      {"/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0", "libopenblas", "blas"},
      {"/site-packages/numpy.libs/libopenblasp-r0-2f7c42d4.3.18.so", "libopenblas", "blas"},
      {"/site-packages/numpy.libs/libopenblas64_p-r0-0cf96a72.3.23.dev.so", "libopenblas", "blas"},
      {"/usr/lib/x86_64-linux-gnu/openblas64-pthread/libopenblas64.so.0", "libopenblas", "blas"},
      {"/usr/lib/x86_64-linux-gnu/blis-pthread/libblas.so.3", "libblis", "blas"},
      {"/usr/lib/x86_64-linux-gnu/libblis.so.4", "libblis", "blas"},
      {"/opt/intel/mkl/lib/intel64/libmkl_rt.so.2", "libmkl_rt", "blas"},
      {"/usr/lib/x86_64-linux-gnu/libflexiblas.so.3", "libflexiblas", "blas"},
      // Not thread pools.
      {"/usr/lib/x86_64-linux-gnu/blas/libblas.so.3", nullptr, nullptr},
      {"/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", nullptr, nullptr},
      {"/usr/lib/x86_64-linux-gnu/libgompx.so", nullptr, nullptr},
      {"/usr/lib/x86_64-linux-gnu/libompitrace.so", nullptr, nullptr},
      {"/usr/lib/x86_64-linux-gnu/libc.so.6", nullptr, nullptr},
      {"/usr/lib/libgomp", nullptr, nullptr},             // the bare stem is not a library file
      {"/opt/libgomp.so.1/libc.so.6", nullptr, nullptr},  // only the basename counts
      {"", nullptr, nullptr},
  };
  for (const auto& row : rows) {
    INFO(row.path);
    const auto lib = classify_threadpool_lib(row.path);
    if (!row.library) {
      CHECK_FALSE(lib.has_value());
      continue;
    }
    REQUIRE(lib.has_value());
    CHECK(lib->library == row.library);
    CHECK(to_string(lib->api) == std::string(row.api));
    CHECK(lib->path == row.path);
    CHECK_FALSE(lib->threads.has_value());
  }
}

TEST_CASE("is_reference_blas tells the netlib BLAS from optimised ones", "[probe][libs]") {
  CHECK(is_reference_blas("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3"));
  CHECK(is_reference_blas("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0"));
  CHECK(is_reference_blas("/usr/lib/librefblas.so.3"));
  CHECK_FALSE(is_reference_blas("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"));
  CHECK_FALSE(is_reference_blas("/usr/lib/x86_64-linux-gnu/blis-openmp/libblas.so.3"));
  CHECK_FALSE(is_reference_blas("/usr/lib/x86_64-linux-gnu/atlas/libblas.so.3"));
  CHECK_FALSE(is_reference_blas("/opt/intel/mkl/lib/libblas.so.3"));
  CHECK_FALSE(is_reference_blas("/usr/lib/x86_64-linux-gnu/libopenblas.so.0"));
  CHECK_FALSE(is_reference_blas("/usr/lib/x86_64-linux-gnu/libgomp.so.1"));
  CHECK_FALSE(is_reference_blas("/usr/lib/x86_64-linux-gnu/liblapack.so.3"));
}

TEST_CASE("classify_allocator recognises preloaded allocators", "[probe][libs]") {
  CHECK(classify_allocator("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2") ==
        std::string("jemalloc"));
  CHECK(classify_allocator("/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4") ==
        std::string("tcmalloc"));
  CHECK(classify_allocator("/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4") ==
        std::string("tcmalloc"));
  CHECK(classify_allocator("/usr/lib/x86_64-linux-gnu/libmimalloc.so.2") ==
        std::string("mimalloc"));
  CHECK_FALSE(classify_allocator("/usr/lib/x86_64-linux-gnu/libc.so.6"));
  CHECK_FALSE(classify_allocator("/usr/lib/x86_64-linux-gnu/libgomp.so.1"));
  CHECK_FALSE(classify_allocator("/usr/lib/libjemallocator.so"));
}

TEST_CASE("find_threadpools and find_allocator scan a list of loaded objects", "[probe][libs]") {
  const std::vector<std::string> paths = {
      "/usr/lib/x86_64-linux-gnu/libc.so.6",         "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
      "/usr/lib/x86_64-linux-gnu/libgomp.so.1.0.0",  "/opt/intel/lib/libiomp5.so",
      "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3",
  };
  const auto pools = find_threadpools(paths);
  REQUIRE(pools.size() == 2);
  CHECK(pools[0].library == "libgomp");
  CHECK(pools[1].library == "libiomp");
  CHECK(find_allocator(paths) == "jemalloc");
  CHECK(find_allocator({"/usr/lib/x86_64-linux-gnu/libc.so.6"}) == "glibc");
  CHECK(find_allocator({}) == "glibc");
  CHECK(find_threadpools({}).empty());
}

TEST_CASE("parse_maps_paths lists file-backed mappings once", "[probe][libs]") {
  const char* maps =
      "55d0c4a00000-55d0c4a02000 r--p 00000000 08:01 1835021                    "
      "/usr/bin/python3.11\n"
      "55d0c5e3b000-55d0c5f5c000 rw-p 00000000 00:00 0                          [heap]\n"
      "7f2a1c000000-7f2a1c021000 rw-p 00000000 00:00 0 \n"
      "7f2a20000000-7f2a20021000 rw-p 00000000 00:00 0\n"
      "7f2a24a00000-7f2a24a2c000 r--p 00000000 08:01 1840231                    "
      "/usr/lib/x86_64-linux-gnu/libgomp.so.1.0.0\n"
      "7f2a24a2c000-7f2a24a5e000 r-xp 0002c000 08:01 1840231                    "
      "/usr/lib/x86_64-linux-gnu/libgomp.so.1.0.0\n"
      "7f2a25000000-7f2a25010000 r-xp 00000000 08:01 1912345                    "
      "/opt/my models/lib/libfoo bar.so\n"
      "7ffd3c1de000-7ffd3c1ff000 rw-p 00000000 00:00 0                          [stack]\n"
      "7ffd3c1ff000-7ffd3c203000 r--p 00000000 00:00 0                          [vvar]\n"
      "7ffd3c203000-7ffd3c205000 r-xp 00000000 00:00 0                          [vdso]\n"
      "\n";
  const auto paths = parse_maps_paths(maps);
  const std::vector<std::string> expected = {
      "/usr/bin/python3.11",
      "/usr/lib/x86_64-linux-gnu/libgomp.so.1.0.0",
      "/opt/my models/lib/libfoo bar.so",
  };
  CHECK(paths == expected);
  CHECK(parse_maps_paths("").empty());
}

TEST_CASE("find_frameworks names each inference framework once", "[probe][libs][threadpool]") {
  struct Row {
    std::vector<std::string> paths;
    std::vector<std::string> want;
  };
  const Row rows[] = {
      {{"/opt/libtorch/lib/libtorch_cpu.so"}, {"libtorch"}},
      {{"/venv/torch/lib/libc10.so", "/venv/torch/lib/libtorch.so", "/venv/torch/lib/libtorch_cpu.so",
        "/venv/torch/lib/libtorch_python.so"},
       {"libtorch"}},
      {{"/usr/lib/libc10_cuda.so"}, {"libtorch"}},
      {{"/opt/ort/lib/libonnxruntime.so.1.17.0"}, {"onnxruntime"}},
      {{"/venv/onnxruntime/capi/onnxruntime_pybind11_state.so"}, {"onnxruntime"}},
      {{"/venv/onnxruntime/capi/onnxruntime_pybind11_state.cpython-311-x86_64-linux-gnu.so"}, {"onnxruntime"}},
      {{"/venv/tensorflow/libtensorflow_framework.so.2"}, {"tensorflow"}},
      {{"/usr/lib/libtensorflow_cc.so.2", "/opt/ort/lib/libonnxruntime.so", "/opt/libtorch/lib/libtorch.so"},
       {"tensorflow", "onnxruntime", "libtorch"}},  // first-seen order
      {{"/usr/lib/x86_64-linux-gnu/libgomp.so.1", "/usr/lib/x86_64-linux-gnu/libc.so.6"}, {}},
      {{"/venv/torchvision/libtorchvision.so"}, {}},   // not libtorch itself
      {{"/venv/torchaudio/lib/libtorchaudio.so"}, {}},
      {{"/usr/lib/libc10d.so"}, {}},                   // the stem must end at '.', '-' or '_'
      {{"/opt/libtorch/lib/libfoo.so"}, {}},           // only the basename counts
      {{"/opt/libtorch"}, {}},
      {{"libtorch"}, {}},                              // the bare stem is not a library file
      {{}, {}},
  };
  for (const auto& row : rows) {
    INFO(join(row.paths, ", "));
    CHECK(find_frameworks(row.paths) == row.want);
  }
}
