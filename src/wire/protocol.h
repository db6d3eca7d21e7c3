#pragma once
// The JSON-lines protocol between torchdiag and torchdiag-worker, encoded and decoded
// here and nowhere else (src/README.md has the whole picture).
//
// Request, one line on the worker's stdin:
//   {"protocol": 3, "command": "info"}                LibTorch's view of this environment
//   {"protocol": 3, "command": "bench", "spec": {...}} one configuration (wire/codecs.h)
// Messages, one JSON object a line on the worker's stdout, each with "type":
//   {"type": "hello", "protocol": 3, "torch_version": "1.13.1", "pid": 123}   always first
//   {"type": "info", "torch": {...}}                   TorchFacts, as in inspect's "torch"
//   {"type": "phase", "phase": "timed_start"|"timed_end"}   brackets the timed window
//   {"type": "result", "result": {...}}                a WorkerResult: raw samples
//   {"type": "error", "kind": "usage"|"model"|"runtime", "message": "..."}
// A request of another protocol version is refused with an "error" message; the
// light binary refuses a hello of another version. Anything on the worker's stderr is
// diagnostics only.
#include <string>
#include <string_view>
#include <variant>

#include "model/bench_spec.h"
#include "model/torch_facts.h"
#include "model/worker_result.h"
#include "util/expected.h"

namespace torchdiag::wire {

inline constexpr int kProtocolVersion = 3;  // 3: bench specs may ask for a profile, results carry it

struct InfoRequest {};
struct BenchRequest {
  BenchSpec spec;
};
using Request = std::variant<InfoRequest, BenchRequest>;

struct Hello {
  int protocol = kProtocolVersion;
  std::string torch_version;
  int pid = 0;
};
struct Info {
  TorchFacts torch;
};
enum class Phase { kTimedStart, kTimedEnd };
struct PhaseChange {
  Phase phase = Phase::kTimedStart;
};
struct ResultMessage {
  WorkerResult result;
};
enum class ErrorKind { kUsage, kModel, kRuntime };
struct ErrorMessage {
  ErrorKind kind = ErrorKind::kRuntime;
  std::string message;
};
using Message = std::variant<Hello, Info, PhaseChange, ResultMessage, ErrorMessage>;

/// One line of JSON, without the newline; any bytes in strings give valid UTF-8.
std::string encode(const Request& request);
std::string encode(const Message& message);

/// The worker's side: the request line, or why it is not one (a usage error).
Expected<Request> decode_request(std::string_view line);
/// The light binary's side: a message, or why the line is not one.
Expected<Message> decode_message(std::string_view line);

}  // namespace torchdiag::wire
