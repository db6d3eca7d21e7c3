// The reference for tests/perf/bench_overhead.sh: the same calls bench times, in the
// plainest possible LibTorch loop, so bench's own overhead can be measured.
//   torchdiag_minimal_loop index_select|forward CALLS
// Prints {"workload": ..., "calls": N, "p50_s": ...}. Thread settings come from the
// environment (OMP_NUM_THREADS), as for bench's workers.
#include <torch/script.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "torch/builtin_model.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: torchdiag_minimal_loop index_select|forward CALLS\n");
    return 2;
  }
  const std::string workload = argv[1];
  const int calls = std::stoi(argv[2]);
  std::function<void()> op;
  auto table = torch::randn({10000, 1000});
  auto idx = torch::randint(0, 10000, {80000}, at::kLong);
  auto model = torchdiag::make_builtin_model();
  std::vector<c10::IValue> inputs{torch::randn(torchdiag::builtin_input_shape())};
  if (workload == "index_select") op = [&] { (void)table.index_select(0, idx); };
  else op = [&] { c10::InferenceMode guard; (void)model.forward(inputs); };
  for (int i = 0; i < 3; ++i) op();
  std::vector<double> lat;
  for (int i = 0; i < calls; ++i) {
    const auto a = std::chrono::steady_clock::now();
    op();
    lat.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(lat.begin(), lat.end());
  const double p50 = lat.size() % 2 ? lat[lat.size() / 2] : (lat[lat.size() / 2 - 1] + lat[lat.size() / 2]) / 2;
  std::printf("{\"workload\": \"%s\", \"calls\": %d, \"p50_s\": %.9g}\n", workload.c_str(), calls, p50);
  return 0;
}
