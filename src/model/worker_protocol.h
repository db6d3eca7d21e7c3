#pragma once
// The light binary and torchdiag-worker talk in JSON lines.
//
// Request (one JSON object on the worker's stdin):
//   {"command": "info"}                       LibTorch's view of this environment
//   {"command": "bench", "spec": {...}}       one benchmark configuration (BenchSpec)
// Responses (one JSON object per line on the worker's stdout, each with "type"):
//   {"type": "hello", "protocol": 1, "torch_version": "1.13.1", "pid": 123}   always first
//   {"type": "info", "torch": {...}}          TorchFacts, as in inspect's "torch" object
//   {"type": "phase", "phase": "timed_start"|"timed_end"}   brackets the timed window
//   {"type": "result", "result": {...}}       raw samples of a bench configuration
//   {"type": "error", "kind": "usage"|"model"|"runtime", "message": "..."}
// Anything the worker prints to stderr is diagnostics only.

namespace torchdiag {
inline constexpr int kWorkerProtocol = 1;
}  // namespace torchdiag
