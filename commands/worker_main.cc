// torchdiag-worker: the only executable that links LibTorch. It reads one JSON
// request on stdin and answers in JSON lines on stdout (src/model/worker_protocol.h).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/window_counters.h"
#include "util/json_text.h"
#include "model/worker_protocol.h"
#include "report/inspect_json.h"
#include "torch/runtime_view.h"
#include "torch/bench_runner.h"

namespace {

using nlohmann::json;

void emit(const json& message) {
  std::cout << torchdiag::json_text(message) << '\n' << std::flush;
}

void emit_error(const std::string& kind, const std::string& message) {
  emit({{"type", "error"}, {"kind", kind}, {"message", message}});
}

int serve(const json& request) {
  const auto command = request.value("command", "");
  if (command == "info") {
    emit({{"type", "info"}, {"torch", torchdiag::torch_to_json(torchdiag::torch_runtime_view())}});
    return 0;
  }
  if (command == "bench") {
    // Opened before the model loads, so the OpenMP pool created later is counted.
    const auto spec = request.value("spec", json::object());
    torchdiag::WindowCounterProbe probe(spec.value("events", std::vector<std::string>{}));
    torchdiag::WindowHooks hooks{[&probe] { probe.start(); },
                                 [&probe] { return torchdiag::counters_to_json(probe.stop()); }};
    return torchdiag::run_bench_request(spec, hooks, emit);
  }
  emit_error("usage", "unknown command '" + command + "' (expected info or bench)");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--version") {
    std::printf("torchdiag-worker %s (LibTorch %s, protocol %d)\n", TORCHDIAG_VERSION,
                torchdiag::torch_version(), torchdiag::kWorkerProtocol);
    return 0;
  }
  emit({{"type", "hello"},
        {"protocol", torchdiag::kWorkerProtocol},
        {"torch_version", torchdiag::torch_version()},
        {"pid", static_cast<int>(::getpid())}});
  std::string line;
  if (!std::getline(std::cin, line)) {
    emit_error("usage", "no request on stdin");
    return 2;
  }
  const auto request = json::parse(line, nullptr, false);
  if (request.is_discarded() || !request.is_object()) {
    emit_error("usage", "request is not a JSON object");
    return 2;
  }
  try {
    return serve(request);
  } catch (const std::exception& e) {
    emit_error("runtime", e.what());
    return 1;
  }
}
