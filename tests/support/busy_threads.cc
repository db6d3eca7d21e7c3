// A busy OpenMP program, the target of the `torchdiag watch` tests and of
// tests/perf/watch_overhead.sh.
//
//   torchdiag_busy_threads SECONDS
//
// Runs `#pragma omp parallel` regions of pure arithmetic for SECONDS (or until SIGTERM
// or SIGINT); the team size comes from OMP_NUM_THREADS. Each thread does a fixed
// amount of work per region (about 50 ms on one free CPU), so the threads are runnable
// nearly all the time rather than parked at the region's barrier. Prints one JSON line:
//   {"threads": N, "iterations": I, "seconds": S, "iterations_per_s": R}
// where an iteration is one fixed block of arithmetic done by one thread, so R is a
// throughput that drops when the threads lose CPU time.
#include <omp.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

/// Arithmetic steps in one iteration: about 0.3 ms on a current x86 core.
constexpr int kStepsPerIteration = 200000;
/// Iterations per thread per region: about 50 ms of work on a free CPU.
constexpr long kIterationsPerRegion = 150;

volatile sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

/// One iteration: a dependent chain of multiply-adds the compiler cannot remove.
double iteration(double x) {
  for (int i = 0; i < kStepsPerIteration; ++i) x = x * 0.9999999 + 1e-7;
  return x;
}

bool parse_seconds(const char* text, double& out) {
  char* end = nullptr;
  out = std::strtod(text, &end);
  return end != text && *end == '\0' && out > 0 && out < 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 0;
  if (argc != 2 || !parse_seconds(argv[1], seconds)) {
    std::fprintf(stderr, "usage: torchdiag_busy_threads SECONDS\n");
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);

  const auto start = Clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  std::atomic<long> iterations{0};
  std::atomic<int> team{0};
  volatile double sink = 0;
  while (!g_stop && elapsed() < seconds) {
#pragma omp parallel
    {
      if (omp_get_thread_num() == 0) team.store(omp_get_num_threads(), std::memory_order_relaxed);
      double x = 1.0 + omp_get_thread_num();
      long done = 0;
      // Stop early (at an iteration boundary) when the time is up or a signal came, so a
      // region never runs far past SECONDS even when the threads share one CPU.
      for (long i = 0; i < kIterationsPerRegion && !g_stop; ++i) {
        x = iteration(x);
        ++done;
        if ((i & 7) == 7 && elapsed() >= seconds) break;
      }
      iterations.fetch_add(done, std::memory_order_relaxed);
      if (x == 0.5) sink = x;  // never true; keeps x alive
    }
  }
  (void)sink;
  const double s = elapsed();
  std::printf("{\"threads\": %d, \"iterations\": %ld, \"seconds\": %.6f, \"iterations_per_s\": %.3f}\n", team.load(),
              iterations.load(), s, static_cast<double>(iterations.load()) / s);
  return 0;
}
