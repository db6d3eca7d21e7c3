// `torchdiag bench`: index_select and forward across thread settings, one worker each.
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include <fmt/format.h>

#include "advise/capacity.h"
#include "util/json_text.h"
#include "bench/plan.h"
#include "bench/row_builder.h"
#include "bench/spec_json.h"
#include "bench/sweep.h"
#include "commands.h"
#include "util/utc_time.h"
#include "common.h"
#include "probe/inspect_probe.h"
#include "report/bench_json.h"
#include "report/bench_text.h"
#include "report/format.h"
#include "report/svg_plot.h"
#include "sys/loaded_libs.h"
#include "sys/perf_counters.h"
#include "sys/subprocess.h"
#include "sys/worker_path.h"
#include "util/model_file.h"
#include "util/strings.h"
#include "sys/kernel_paths.h"

namespace torchdiag::cli {
namespace {

struct BenchOptions {
  std::vector<std::string> workloads;
  std::string model;
  std::vector<std::string> inputs;
  bool freeze = false;
  int64_t rows = 10000, cols = 1000, indices = 80000;
  std::string threads = "auto";
  int interop = 0;
  std::string streams = "1";
  std::string allocators = "glibc";
  int warmup = 3;
  double min_time_s = 0.5;
  int repetitions = 3;
  double timeout_s = 300;
  std::string format = "text";
  std::string output;
  std::string plot;
  std::string events;
  double duration_s = std::nan("");  ///< NaN: --duration not given
  bool vary_batch = false;
  bool verbose = false;
};

const std::vector<std::string> kWorkloads = {"index_select", "forward"};

/// Progress on stderr, only when stderr is a terminal; erased when done.
class TtyProgress : public SweepObserver {
 public:
  TtyProgress() : enabled_(::isatty(2) != 0), start_(std::chrono::steady_clock::now()) {}
  void on_config_start(size_t i, size_t n, const PlannedConfig& c) override {
    if (!enabled_) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::string eta = i ? fmt::format(", ETA {:.0f} s", elapsed / static_cast<double>(i) * static_cast<double>(n - i)) : "";
    fmt::print(stderr, "\r\033[K[{}/{}] {} threads={} streams={} {}{}", i + 1, n, c.spec.workload,
               c.threads_label, c.spec.streams, c.spec.allocator, eta);
  }
  void on_config_done(size_t i, size_t n, const BenchRow&) override {
    if (enabled_ && i + 1 == n) fmt::print(stderr, "\r\033[K");
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
};

std::vector<std::string> checked_workloads(const BenchOptions& o) {
  if (o.workloads.empty()) return kWorkloads;
  for (const auto& w : o.workloads) {
    if (std::find(kWorkloads.begin(), kWorkloads.end(), w) == kWorkloads.end()) {
      usage_error(fmt::format("--workload '{}': unknown workload (expected index_select or forward){}", w,
                              did_you_mean(w, kWorkloads)));
    }
  }
  return o.workloads;
}

BenchSpec base_spec(const BenchOptions& o) {
  BenchSpec s;
  if (!o.model.empty()) {
    if (const auto why = check_model_file(o.model); !why.empty()) {
      usage_error(fmt::format("cannot load model '{}': {}", o.model, why));
    }
    char buf[PATH_MAX];
    s.model = ::realpath(o.model.c_str(), buf) ? buf : o.model;
    if (o.inputs.empty()) usage_error("--model needs at least one --input shape (e.g. --input 1x3x224x224)");
  }
  for (const auto& text : o.inputs) {
    InputSpec in;
    if (const auto err = parse_input_spec(text, in); !err.empty()) {
      usage_error(fmt::format("--input '{}': {}", text, err));
    }
    s.inputs.push_back(in);
  }
  s.freeze = o.freeze;
  if (o.rows < 1 || o.cols < 1 || o.indices < 1) usage_error("--rows, --cols and --indices must be at least 1");
  s.rows = o.rows, s.cols = o.cols, s.indices = o.indices;
  if (o.interop < 0 || o.interop > kMaxThreads) usage_error(fmt::format("--interop {}: out of range 1..{}", o.interop, kMaxThreads));
  if (o.interop > 0) s.interop_threads = o.interop;
  if (o.warmup < 0) usage_error("--warmup must be 0 or more");
  if (o.repetitions < 1 || o.repetitions > 1000) usage_error("--repetitions must be 1..1000");
  if (!(o.min_time_s >= 0 && o.min_time_s <= 3600)) usage_error("--min-time must be 0..3600 seconds");
  if (!(o.timeout_s > 0)) usage_error("--timeout must be more than 0 seconds");
  s.warmup = o.warmup, s.min_time_s = o.min_time_s, s.repetitions = o.repetitions, s.timeout_s = o.timeout_s;
  if (!std::isnan(o.duration_s) || o.vary_batch) {
    if (std::isnan(o.duration_s)) usage_error("--vary-batch belongs to a soak: give --duration SECONDS");
    if (!(o.duration_s > 0 && o.duration_s <= 7 * 86400)) {
      usage_error("--duration must be more than 0 seconds (and at most a week)");
    }
    const auto& w = o.workloads;
    if (!w.empty() && std::find(w.begin(), w.end(), "forward") == w.end()) {
      usage_error("--duration soaks a model's forward: add --workload forward");
    }
    s.duration_s = o.duration_s;
    s.vary_batch = o.vary_batch;
    s.timeout_s = std::max(s.timeout_s, o.duration_s + 300);
  }
  if (!o.events.empty()) {
    for (const auto raw : split(o.events, ',')) {
      const std::string name(trim(raw));
      if (const auto err = check_perf_event_name(name); !err.empty()) {
        usage_error(fmt::format("--events '{}': libpfm4 cannot encode it: {}", name, err));
      }
      s.events.push_back(name);
    }
  }
  return s;
}

std::vector<std::string> checked_allocators(const std::string& text) {
  std::vector<std::string> out;
  for (const auto raw : split(text, ',')) {
    const std::string a(trim(raw));
    if (a != "glibc" && a != "jemalloc") {
      usage_error(fmt::format("--allocator '{}': unknown allocator (expected glibc or jemalloc)", a));
    }
    if (a == "jemalloc" && installed_jemalloc().empty()) {
      usage_error("--allocator jemalloc: libjemalloc.so.2 is not installed (apt-get install libjemalloc2)");
    }
    out.push_back(a);
  }
  return out;
}

/// TORCHDIAG_TEST_HOOK="crash@2" makes the worker of the threads=2 configurations crash
/// (or "hang@2" hang) after warm-up: how tests prove a broken row does not stop a sweep.
void apply_test_hook(std::vector<PlannedConfig>& plan) {
  const char* hook = std::getenv("TORCHDIAG_TEST_HOOK");
  if (!hook) return;
  const std::string text = hook;
  const auto at = text.find('@');
  if (at == std::string::npos) return;
  for (auto& c : plan) {
    if (c.threads_label == text.substr(at + 1)) c.spec.test_hook = text.substr(0, at);
  }
}

BenchReport make_report(const FsReader& fs) {
  BenchReport report;
  report.context = probe_inspect(fs);
  report.context.capacity = compute_capacity(report.context.cpu, report.context.cgroup);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  report.host = host;
  report.date = utc_now_iso8601();
  const auto gov = fs.read(paths::kGovernorCpu0);
  report.governor = gov.ok() ? std::string(trim(gov.text)) : "";
  if (!report.governor.empty() && report.governor != "performance") {
    report.warnings.push_back("CPU frequency governor is '" + report.governor +
                              "', not 'performance': latencies may drift with clock changes");
  }
  return report;
}

std::string render(const BenchReport& r, Format f, bool verbose) {
  switch (f) {
    case Format::kJson: return json_text(bench_to_json(r), 2) + "\n";
    case Format::kCsv: return bench_to_csv(r);
    case Format::kMarkdown: return bench_to_markdown(r);
    case Format::kText: return bench_to_text(r, verbose);
    default: usage_error("--format: bench supports text, json, csv and markdown");
  }
}

/// Writes the report; when --output cannot be written after the sweep ran, the report
/// goes to stdout instead, so the measurements are not lost, and the error still counts.
void write_report(const std::string& text, const std::string& path) {
  try {
    write_output(text, path);
  } catch (const CommandError& e) {
    if (path.empty() || path == "-") throw;
    warn(e.message + "; the report follows on standard output");
    write_output(text, "");
    throw;
  }
}

void run_bench(const BenchOptions& o, int& exit_code) {
  const auto format = parse_format(o.format);
  if (!format || (*format != Format::kText && *format != Format::kJson && *format != Format::kCsv &&
                  *format != Format::kMarkdown)) {
    usage_error(fmt::format("--format '{}': unknown format (expected text, json, csv or markdown)", o.format));
  }
  auto workloads = checked_workloads(o);
  if (!std::isnan(o.duration_s) && o.workloads.empty()) workloads = {"forward"};  // a soak is about a model
  const auto base = base_spec(o);
  const auto allocators = checked_allocators(o.allocators);
  check_output_path(o.output, "--output");
  check_output_path(o.plot, "--plot");
  const FsReader fs;
  auto report = make_report(fs);
  std::vector<ThreadChoice> threads;
  const int online = report.context.cpu.online.ok() ? static_cast<int>(report.context.cpu.online.value->size()) : 1;
  if (auto err = plan_threads(o.threads, report.context.capacity.usable_threads, online, threads); !err.empty()) usage_error(err);
  std::vector<int> streams;
  if (auto err = parse_count_list(o.streams, "--streams", kMaxThreads, streams); !err.empty()) usage_error(err);
  const auto worker = find_worker();
  if (!worker.ok()) runtime_error(worker.reason);
  auto plan = plan_sweep(base, workloads, threads, streams, allocators);
  apply_test_hook(plan);
  const WorkerLaunch launch{*worker.value, current_environment(), installed_jemalloc()};
  TtyProgress progress;
  report.rows = run_sweep(plan, [&](const PlannedConfig& c) { return run_in_worker(c, launch); }, &progress);
  for (const auto& row : report.rows) {
    if (report.torch_version.empty()) report.torch_version = row.torch_version;
  }
  report.comparisons = compare_allocators(report.rows);
  write_report(render(report, *format, o.verbose), o.output);
  if (!o.plot.empty()) write_output(bench_to_svg(report), o.plot);
  for (const auto& w : workloads) {
    bool any_ok = false;
    std::string first_error;
    for (const auto& row : report.rows) {
      if (row.spec.workload != w) continue;
      any_ok = any_ok || row.status == "ok";
      if (first_error.empty()) first_error = row.error;
    }
    if (!any_ok) {
      fmt::print(stderr, "torchdiag: error: every {} configuration failed: {}\n", w, first_error);
      exit_code = kExitRuntime;
    }
  }
}

}  // namespace

void add_bench(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<BenchOptions>();
  auto* cmd = app.add_subcommand("bench", "Time index_select and model forward across thread settings");
  cmd->add_option("--workload", o->workloads, "index_select or forward (repeatable; default: both)");
  cmd->add_option("--model", o->model, "TorchScript file for forward (default: the built-in model)")
      ->check(non_empty());
  cmd->add_option("--input", o->inputs, "Forward input shape[:dtype], e.g. 1x3x224x224 or 8x16:int64 (repeatable, one per argument)");
  cmd->add_flag("--freeze", o->freeze, "Run torch::jit::freeze and optimize_for_inference before timing");
  cmd->add_option("--rows", o->rows, "index_select table rows")->capture_default_str();
  cmd->add_option("--cols", o->cols, "index_select table columns")->capture_default_str();
  cmd->add_option("--indices", o->indices, "index_select random row indices per call")->capture_default_str();
  cmd->add_option("--threads", o->threads, "auto, or a list like 1,2,4,current")->capture_default_str();
  cmd->add_option("--interop", o->interop, "Inter-op threads (at::set_num_interop_threads); default: LibTorch's");
  cmd->add_option("--streams", o->streams, "Concurrent engine threads calling the op, e.g. 1,2,4")->capture_default_str();
  cmd->add_option("--allocator", o->allocators, "glibc, jemalloc or glibc,jemalloc")->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "Untimed calls per stream before timing")->capture_default_str();
  cmd->add_option("--min-time", o->min_time_s, "Seconds each repetition runs at least")->check(finite_number())->capture_default_str();
  cmd->add_option("--repetitions", o->repetitions, "Timed repetitions per configuration")->capture_default_str();
  cmd->add_option("--timeout", o->timeout_s, "Seconds before a configuration's worker is killed")->check(finite_number())->capture_default_str();
  cmd->add_option("--format", o->format, "text, json, csv or markdown")->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Write the report to FILE instead of stdout")->check(non_empty());
  cmd->add_option("--plot", o->plot, "Also write an SVG chart of latency and throughput to FILE")->check(non_empty());
  cmd->add_option("--events", o->events, "Perf events to count, comma-separated libpfm4 names (default: task-clock,context-switches,cpu-migrations,page-faults,cycles,instructions,cache-misses)");
  cmd->add_option("--duration", o->duration_s, "Soak: run each forward configuration this many seconds, sampling RSS")
      ->check(finite_number());
  cmd->add_flag("--vary-batch", o->vary_batch, "Soak: new inputs with a random batch size on every call (fragments the heap)");
  cmd->add_flag("-v,--verbose", o->verbose, "More columns in the text table, every counter and why any is unavailable");
  cmd->callback([o, &exit_code] { run_bench(*o, exit_code); });
}

}  // namespace torchdiag::cli
