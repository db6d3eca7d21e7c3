#include "probe/torch_probe.h"

#include "sys/subprocess.h"
#include "sys/worker_path.h"
#include "util/strings.h"
#include "wire/protocol.h"

namespace torchdiag {
namespace {

TorchFacts unavailable(std::string reason) {
  TorchFacts t;
  t.reason = std::move(reason);
  return t;
}

}  // namespace

TorchFacts probe_torch(const std::map<std::string, std::string>& env, double timeout_s) {
  const auto worker = find_worker();
  if (!worker.ok()) return unavailable(worker.reason);
  SpawnOptions o;
  o.argv = {*worker.value};
  o.env = env;
  o.stdin_text = wire::encode(wire::Request{wire::InfoRequest{}}) + "\n";
  o.timeout_s = timeout_s;
  std::optional<TorchFacts> info;
  std::string error;
  o.on_stdout_line = [&](const std::string& line) {
    const auto msg = wire::decode_message(line);
    if (!msg) return;  // not a message: the worker's diagnostics
    if (const auto* i = std::get_if<wire::Info>(&*msg)) info = i->torch;
    if (const auto* e = std::get_if<wire::ErrorMessage>(&*msg)) error = e->message;
  };
  const auto r = run_process(o);
  if (!r.ok() || !info) {
    std::string why = "torchdiag-worker " + r.describe();
    if (!error.empty()) why += ": " + error;
    else if (!r.stderr_text.empty()) why += ": " + last_line(r.stderr_text);
    return unavailable(why);
  }
  info->worker_start_s = r.wall_s;
  return *info;
}

}  // namespace torchdiag
