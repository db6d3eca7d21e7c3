#include "bench/sweep.h"

#include <signal.h>

#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/row_builder.h"
#include "bench/spec_json.h"
#include "sys/rss_sampler.h"
#include "sys/subprocess.h"
#include "util/strings.h"

namespace torchdiag {

using nlohmann::json;

std::vector<BenchRow> run_sweep(const std::vector<PlannedConfig>& plan, const ConfigRunner& run,
                                SweepObserver* observer) {
  std::vector<BenchRow> rows;
  for (size_t i = 0; i < plan.size(); ++i) {
    if (observer) observer->on_config_start(i, plan.size(), plan[i]);
    BenchRow row;
    try {
      row = run(plan[i]);
    } catch (const std::exception& e) {
      row = failed_row(plan[i].spec, plan[i].threads_label, "failed", e.what());
    }
    if (observer) observer->on_config_done(i, plan.size(), row);
    rows.push_back(std::move(row));
  }
  finalize_rows(rows);
  return rows;
}

std::map<std::string, std::string> worker_environment(const BenchSpec& spec, const WorkerLaunch& launch) {
  auto env = launch.base_env;
  if (spec.threads) {
    env["OMP_NUM_THREADS"] = std::to_string(*spec.threads);
    env["MKL_NUM_THREADS"] = std::to_string(*spec.threads);
  }
  if (spec.allocator == "jemalloc") {
    const auto it = env.find("LD_PRELOAD");
    env["LD_PRELOAD"] = launch.jemalloc_path +
                        (it != env.end() && !it->second.empty() ? ":" + it->second : "");
  }
  return env;
}

namespace {

std::string describe_failure(const SpawnResult& r, const std::string& worker_error,
                             std::optional<int64_t> last_rss) {
  if (!worker_error.empty()) return worker_error;
  if (r.signal == SIGKILL && !r.timed_out) {
    std::string why = "killed by signal 9 (SIGKILL): most likely the out-of-memory killer";
    if (last_rss) why += fmt::format(" (last RSS seen {:.1f} MiB)", static_cast<double>(*last_rss) / (1 << 20));
    return why;
  }
  std::string why = "torchdiag-worker " + r.describe();
  const auto err = trim(r.stderr_text);
  if (!err.empty()) {
    const auto lines = split(err, '\n');
    why += ": " + std::string(trim(lines.back()));
  }
  return why;
}

}  // namespace

BenchRow run_in_worker(const PlannedConfig& config, const WorkerLaunch& launch) {
  const auto& spec = config.spec;
  SpawnOptions o;
  o.argv = {launch.worker_path};
  o.env = worker_environment(spec, launch);
  o.stdin_text = json{{"command", "bench"}, {"spec", spec_to_json(spec)}}.dump() + "\n";
  o.timeout_s = spec.timeout_s;
  std::optional<json> result;
  std::string worker_error, torch_version;
  const FsReader proc_fs;
  RssSampler rss(proc_fs);
  int pid = 0;
  bool timing = false;
  auto t0 = std::chrono::steady_clock::now();
  const auto since_t0 = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  o.tick_s = kRssIntervalS;
  o.on_start = [&](int p) { pid = p; };
  o.on_tick = [&](int p) {
    if (timing) rss.sample(p, since_t0());
  };
  o.on_stdout_line = [&](const std::string& line) {
    const auto msg = json::parse(line, nullptr, false);
    if (msg.is_discarded() || !msg.is_object()) return;
    const auto type = msg.value("type", "");
    if (type == "phase") {
      timing = msg.value("phase", "") == "timed_start";
      if (timing) t0 = std::chrono::steady_clock::now();
      rss.sample(pid, since_t0());
    }
    if (type == "hello") torch_version = msg.value("torch_version", "");
    if (type == "result") result = msg.value("result", json::object());
    if (type == "error") worker_error = msg.value("message", "worker error");
  };
  const auto r = run_process(o);
  if (r.timed_out) {
    return failed_row(spec, config.threads_label, "timeout",
                      fmt::format("timed out after {:.0f} s (--timeout)", spec.timeout_s));
  }
  if (!r.ok() || !result) {
    return failed_row(spec, config.threads_label, "failed", describe_failure(r, worker_error, rss.last()));
  }
  try {
    auto row = row_from_worker_result(spec, config.threads_label, *result);
    row.worker_wall_s = r.wall_s;
    row.torch_version = torch_version;
    row.memory.rss_timeline = rss.timeline();
    row.memory.peak_rss_bytes = rss.peak();
    row.memory.mean_rss_bytes = rss.mean();
    if (spec.allocator == "jemalloc" && !row.jemalloc_active) {
      row.warnings.push_back("jemalloc was preloaded but mallctl did not answer in the worker");
    }
    return row;
  } catch (const json::exception& e) {
    return failed_row(spec, config.threads_label, "failed",
                      std::string("malformed worker result: ") + e.what());
  }
}

}  // namespace torchdiag
