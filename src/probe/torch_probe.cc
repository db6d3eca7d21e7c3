#include "probe/torch_probe.h"
#include "util/json_text.h"

#include "sys/subprocess.h"
#include "sys/worker_path.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

using nlohmann::json;

TorchFacts unavailable(std::string reason) {
  TorchFacts t;
  t.reason = std::move(reason);
  return t;
}

}  // namespace

TorchFacts torch_from_json(const json& j) {
  TorchFacts t;
  t.available = j.value("available", false);
  t.reason = j.value("reason", "");
  if (!t.available) return t;
  t.version = j.value("version", "");
  t.backend = j.value("backend", "");
  t.intra_op_threads = j.value("intra_op_threads", 0);
  t.interop_threads = j.value("interop_threads", 0);
  if (j.contains("openmp_runtime") && j["openmp_runtime"].is_string()) t.openmp_runtime = j["openmp_runtime"];
  if (j.contains("omp_max_threads") && j["omp_max_threads"].is_number()) t.omp_max_threads = j["omp_max_threads"].get<int>();
  t.mkl = j.value("mkl", false);
  t.mkldnn = j.value("mkldnn", false);
  if (j.contains("blas") && j["blas"].is_string()) t.blas = j["blas"];
  t.blas_is_reference = j.value("blas_is_reference", false);
  for (const auto& p : j.value("threadpools", json::array())) {
    ThreadPoolLib lib{p.value("library", ""), p.value("api", ""), p.value("path", ""), std::nullopt};
    if (p.contains("threads") && p["threads"].is_number()) lib.threads = p["threads"].get<int>();
    t.threadpools.push_back(lib);
  }
  t.allocator = j.value("allocator", "");
  if (j.contains("jemalloc_path") && j["jemalloc_path"].is_string()) t.jemalloc_path = j["jemalloc_path"];
  t.parallel_info = j.value("parallel_info", "");
  t.config = j.value("config", "");
  return t;
}

TorchFacts probe_torch(const std::map<std::string, std::string>& env, double timeout_s) {
  const auto worker = find_worker();
  if (!worker.ok()) return unavailable(worker.reason);
  SpawnOptions o;
  o.argv = {*worker.value};
  o.env = env;
  o.stdin_text = json_text(json{{"command", "info"}}) + "\n";
  o.timeout_s = timeout_s;
  std::optional<json> info;
  std::string error;
  o.on_stdout_line = [&](const std::string& line) {
    const auto msg = json::parse(line, nullptr, false);
    if (msg.is_discarded() || !msg.is_object()) return;
    if (msg.value("type", "") == "info") info = msg.value("torch", json::object());
    if (msg.value("type", "") == "error") error = msg.value("message", "");
  };
  const auto r = run_process(o);
  if (!r.ok() || !info) {
    std::string why = "torchdiag-worker " + r.describe();
    if (!error.empty()) why += ": " + error;
    else if (!r.stderr_text.empty()) why += ": " + last_line(r.stderr_text);
    return unavailable(why);
  }
  try {
    auto t = torch_from_json(*info);
    t.worker_start_s = r.wall_s;
    return t;
  } catch (const json::exception& e) {
    return unavailable(std::string("malformed worker report: ") + e.what());
  }
}

}  // namespace torchdiag
