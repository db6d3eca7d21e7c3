// Test helper: runs an OpenMP region under PerfSampler and prints where the samples
// landed as one JSON line: {"available", "reason", "total", "openmp", "kernel", "lost",
// "openmp_runtime_found"}.
//
//   torchdiag_omp_spin spin      2 threads; thread 0 computes for ~300 ms while thread 1
//                                waits at the region's barrier, spinning in libgomp
//                                (OMP_WAIT_POLICY=active, GOMP_SPINCOUNT=infinite).
//   torchdiag_omp_spin compute   2 threads compute ~300 ms each; nobody waits.
//
// libgomp reads its environment when it is loaded, before main(), so the program sets
// the variables it needs and executes itself again (argv[0] must be a path).
#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "sys/perf_sampler.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kWorkS = 0.3;
constexpr const char* kChildMarker = "TORCHDIAG_OMP_SPIN_CHILD";

/// Pure user-space arithmetic until `seconds` have passed since `start`.
double compute_until(Clock::time_point start, double seconds) {
  volatile double acc = 0;
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    for (int i = 0; i < 10000; ++i) acc = acc + static_cast<double>(i) * 1e-9;
  }
  return acc;
}

/// Sets the wait policy for `mode` and runs this program again; returns only on failure.
int reexec(const std::string& mode, char** argv) {
  ::setenv(kChildMarker, "1", 1);
  if (mode == "spin") {
    ::setenv("OMP_WAIT_POLICY", "active", 1);
    ::setenv("GOMP_SPINCOUNT", "infinite", 1);
  } else {
    ::unsetenv("OMP_WAIT_POLICY");
    ::unsetenv("GOMP_SPINCOUNT");
  }
  ::execv(argv[0], argv);
  std::perror("torchdiag_omp_spin: execv");
  return 2;
}

void run_region(const std::string& mode) {
  const auto start = Clock::now();
#pragma omp parallel num_threads(2)
  {
    // In "spin" mode thread 1 goes straight to the implicit barrier and spins there.
    if (mode == "compute" || omp_get_thread_num() == 0) (void)compute_until(start, kWorkS);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "spin" && mode != "compute") {
    std::fprintf(stderr, "usage: torchdiag_omp_spin spin|compute\n");
    return 2;
  }
  if (!std::getenv(kChildMarker)) return reexec(mode, argv);
  torchdiag::PerfSamplerOptions options;
  options.frequency_hz = 997;  // ~600 samples over the 2 x 300 ms of CPU time
  torchdiag::PerfSampler sampler(options);  // before the first parallel region creates the pool
  sampler.enable();
  run_region(mode);
  sampler.disable();
  const auto c = sampler.counts();
  const nlohmann::json out = {{"mode", mode},
                              {"available", sampler.available()},
                              {"reason", sampler.unavailable_reason()},
                              {"user_only", sampler.user_only()},
                              {"openmp_runtime_found", sampler.openmp_runtime_found()},
                              {"total", c.total},
                              {"openmp", c.in_openmp},
                              {"kernel", c.in_kernel},
                              {"lost", c.lost}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
