// torchdiag-worker: the only executable that links LibTorch. It reads one request on
// stdin and answers in JSON lines on stdout (src/wire/protocol.h).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "bench/window_counters.h"
#include "torch/bench_runner.h"
#include "torch/runtime_view.h"
#include "wire/protocol.h"

namespace {

using namespace torchdiag;

void emit(const wire::Message& message) { std::cout << wire::encode(message) << '\n' << std::flush; }

void emit_error(wire::ErrorKind kind, const std::string& message) { emit(wire::ErrorMessage{kind, message}); }

int serve(const wire::Request& request) {
  if (std::holds_alternative<wire::InfoRequest>(request)) {
    emit(wire::Info{torch_runtime_view()});
    return 0;
  }
  const auto& spec = std::get<wire::BenchRequest>(request).spec;
  // Opened before the model loads, so the OpenMP pool created later is counted.
  WindowCounterProbe probe(spec.events);
  const WindowHooks hooks{[&probe] { probe.start(); }, [&probe] { return probe.stop(); }};
  return run_bench_request(spec, hooks, emit);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--version") {
    std::printf("torchdiag-worker %s (LibTorch %s, protocol %d)\n", TORCHDIAG_VERSION, torch_version(),
                wire::kProtocolVersion);
    return 0;
  }
  emit(wire::Hello{wire::kProtocolVersion, torch_version(), static_cast<int>(::getpid())});
  std::string line;
  if (!std::getline(std::cin, line)) {
    emit_error(wire::ErrorKind::kUsage, "no request on stdin");
    return 2;
  }
  const auto request = wire::decode_request(line);
  if (!request) {
    emit_error(wire::ErrorKind::kUsage, request.error());
    return 2;
  }
  try {
    return serve(*request);
  } catch (const std::exception& e) {
    emit_error(wire::ErrorKind::kRuntime, e.what());
    return 1;
  }
}
