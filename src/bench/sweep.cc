#include "bench/sweep.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "bench/row_builder.h"
#include "sys/oom_counter.h"
#include "sys/rss_sampler.h"
#include "sys/subprocess.h"
#include "util/strings.h"
#include "wire/protocol.h"

namespace torchdiag {

std::vector<BenchRow> run_sweep(const std::vector<BenchSpec>& plan, const ConfigRunner& run,
                                SweepObserver* observer, double deadline_s) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<BenchRow> rows;
  for (size_t i = 0; i < plan.size(); ++i) {
    if (observer) observer->on_config_start(i, plan.size(), plan[i]);
    auto config = plan[i];
    const double left_s = deadline_s - std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    BenchRow row;
    if (deadline_s > 0 && left_s <= 0) {
      row = failed_row(config, RowStatus::kSkipped, fmt::format("not run: the {:.0f} s deadline had passed", deadline_s));
    } else {
      if (deadline_s > 0) config.timeout_s = std::min(config.timeout_s, left_s);
      try {
        row = run(config);
      } catch (const std::exception& e) {
        row = failed_row(config, RowStatus::kFailed, e.what());
      }
      if (row.status == RowStatus::kTimeout && config.timeout_s < plan[i].timeout_s) {
        row.error = fmt::format("stopped at the {:.0f} s deadline", deadline_s);
      }
      row.spec.timeout_s = plan[i].timeout_s;
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
  if (spec.allocator == Allocator::kJemalloc) {
    const auto it = env.find("LD_PRELOAD");
    env["LD_PRELOAD"] = launch.jemalloc_path +
                        (it != env.end() && !it->second.empty() ? ":" + it->second : "");
  }
  return env;
}

namespace {

/// kRssIntervalS, or $TORCHDIAG_RSS_INTERVAL_S (0 turns sampling off, for measuring
/// its cost).
double rss_interval_s() {
  const char* env = std::getenv("TORCHDIAG_RSS_INTERVAL_S");
  if (!env) return kRssIntervalS;
  const auto v = parse_double(env);
  return v && *v >= 0 ? *v : kRssIntervalS;
}

/// Why the worker failed. SIGKILL that we did not send is blamed on the OOM killer only
/// when the kernel's oom_kill counter rose while the worker ran.
std::string describe_failure(const SpawnResult& r, const std::string& worker_error, std::optional<int64_t> last_rss,
                             bool oom_killed) {
  if (!worker_error.empty()) return worker_error;
  if (r.signal == SIGKILL && oom_killed) {
    std::string why = "killed by the out-of-memory killer (signal 9; the kernel's oom_kill count rose)";
    if (last_rss) why += ", last RSS seen " + mib_text(*last_rss);
    return why;
  }
  std::string why = "torchdiag-worker " + r.describe();
  if (const auto err = last_line(r.stderr_text); !err.empty()) why += ": " + err;
  return why;
}

/// One worker process for one configuration: feeds it the spec, follows its messages,
/// samples its RSS during the timed window.
class WorkerRun {
 public:
  WorkerRun(const BenchSpec& spec, const WorkerLaunch& launch) : spec_(spec), launch_(launch), rss_(proc_fs_) {}

  BenchRow run() {
    SpawnOptions o;
    o.argv = {launch_.worker_path};
    o.env = worker_environment(spec_, launch_);
    o.stdin_text = wire::encode(wire::Request{wire::BenchRequest{spec_}}) + "\n";
    o.timeout_s = spec_.timeout_s;
    o.tick_s = sampling_ ? interval_s_ : 0.05;
    o.fixed_layout = launch_.fixed_layout;
    o.on_start = [this](int p) {
      pid_ = p;
      if (launch_.place) place_error_ = launch_.place(p);
    };
    o.on_tick = [this](int p) { if (timing_ && sampling_) rss_.sample(p, since_t0()); };
    o.on_stdout_line = [this](const std::string& line) { on_line(line); };
    const auto oom_before = read_oom_kill_count(proc_fs_);
    const auto result = run_process(o);
    const auto oom_after = read_oom_kill_count(proc_fs_);
    oom_killed_ = oom_before && oom_after && *oom_after > *oom_before;
    return to_row(result);
  }

 private:
  double since_t0() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }

  void on_line(const std::string& line) {
    auto msg = wire::decode_message(line);
    if (!msg) {
      malformed_ = "malformed worker message: " + msg.error();
      return;
    }
    std::visit([this](auto& m) { on_message(m); }, *msg);
  }
  void on_message(const wire::Hello& m) {
    torch_version_ = m.torch_version;
    if (m.protocol != wire::kProtocolVersion) {
      worker_error_ = fmt::format("torchdiag-worker speaks protocol {}, this torchdiag {}: install matching versions",
                                  m.protocol, wire::kProtocolVersion);
    }
  }
  void on_message(const wire::Info&) {}
  void on_message(const wire::PhaseChange& m) {
    timing_ = m.phase == wire::Phase::kTimedStart;
    if (timing_) t0_ = std::chrono::steady_clock::now();
    if (sampling_) rss_.sample(pid_, since_t0());
  }
  void on_message(wire::ResultMessage& m) { result_ = std::move(m.result); }
  void on_message(const wire::ErrorMessage& m) { worker_error_ = m.message; }

  BenchRow to_row(const SpawnResult& r) const {
    if (!place_error_.empty()) return failed_row(spec_, RowStatus::kFailed, place_error_);
    if (r.timed_out) {
      return failed_row(spec_, RowStatus::kTimeout, fmt::format("timed out after {:.0f} s (--timeout)", spec_.timeout_s));
    }
    if (!r.ok() || !result_) {
      // A worker that exited cleanly but sent no readable result: say what was unreadable.
      const bool unreadable = r.ok() && !malformed_.empty();
      return failed_row(spec_, RowStatus::kFailed,
                        unreadable ? malformed_ : describe_failure(r, worker_error_, rss_.last(), oom_killed_));
    }
    auto row = row_from_worker_result(spec_, *result_);
    row.worker_wall_s = r.wall_s;
    row.torch_version = torch_version_;
    row.memory.rss_timeline = rss_.timeline();
    row.memory.peak_rss_bytes = rss_.peak();
    row.memory.mean_rss_bytes = rss_.mean();
    if (spec_.allocator == Allocator::kJemalloc && !row.jemalloc_active) {
      row.warnings.push_back({"jemalloc-inactive", "jemalloc was preloaded but mallctl did not answer in the worker"});
    }
    return row;
  }

  const BenchSpec& spec_;
  const WorkerLaunch& launch_;
  const FsReader proc_fs_;
  RssSampler rss_;
  const double interval_s_ = rss_interval_s();
  const bool sampling_ = interval_s_ > 0;
  int pid_ = 0;
  bool timing_ = false;
  bool oom_killed_ = false;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
  std::optional<WorkerResult> result_;
  std::string worker_error_, torch_version_, malformed_, place_error_;
};

}  // namespace

BenchRow run_in_worker(const BenchSpec& config, const WorkerLaunch& launch) {
  return WorkerRun(config, launch).run();
}

std::vector<BenchRow> run_worker_group(const BenchSpec& config, int workers, const WorkerLaunch& launch) {
  std::vector<BenchRow> rows(static_cast<size_t>(std::max(1, workers)));
  std::vector<std::thread> threads;
  for (size_t i = 1; i < rows.size(); ++i) {
    threads.emplace_back([&, i] { rows[i] = run_in_worker(config, launch); });
  }
  rows[0] = run_in_worker(config, launch);
  for (auto& t : threads) t.join();
  return rows;
}

}  // namespace torchdiag
