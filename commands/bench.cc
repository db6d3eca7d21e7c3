// `torchdiag bench`: index_select and forward across thread settings, one worker each.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "advise/capacity_rules.h"
#include "bench/op_profile.h"
#include "bench/plan.h"
#include "bench/row_builder.h"
#include "bench/sweep_options.h"
#include "commands.h"
#include "common.h"
#include "progress.h"
#include "probe/inspect_probe.h"
#include "probe/node_facts.h"
#include "report/bench_json.h"
#include "report/bench_text.h"
#include "report/format.h"
#include "report/op_profile_render.h"
#include "report/svg_plot.h"
#include "sys/atomic_file.h"
#include "sys/fs_reader.h"
#include "sys/kernel_paths.h"
#include "util/json_text.h"
#include "util/strings.h"
#include "util/utc_time.h"

namespace torchdiag::cli {
namespace {

struct BenchOptions {
  std::string command = "bench";  ///< or "profile"
  SweepOptions sweep;
  std::vector<std::string> workloads;
  std::string threads = "auto";
  std::string streams = "1";
  std::string allocators = "glibc";
  std::string format = "text";
  std::string output;
  std::string plot;
  std::string profile_dir;   ///< --profile: profile every configuration, traces here
  int profile_calls = 10;
  bool profile_shapes = false;
  bool verbose = false;
};

/// Unwraps a checked option value, or stops with a usage error.
template <class T>
T or_usage_error(Expected<T> checked) {
  if (!checked) usage_error(checked.error());
  return std::move(*checked);
}

BenchReport make_report(const FsReader& fs) {
  BenchReport report;
  report.context = probe_inspect(fs);
  report.context.capacity = compute_capacity(report.context.cpu, report.context.cgroup);
  report.context.node = probe_node(fs, paths::proc_dir(), report.context.cgroup.path);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  report.host = host;
  report.date = utc_now_iso8601();
  const auto& frequency = report.context.node->frequency;
  report.governor = frequency.ok() && !frequency.value->empty() ? frequency.value->front().governor : "";
  if (!report.governor.empty() && report.governor != "performance") {
    report.warnings.push_back({"governor-not-performance", "CPU frequency governor is '" + report.governor +
                                                               "', not 'performance': latencies may drift with clock changes"});
  }
  return report;
}

std::string render(const BenchReport& r, Format f, bool verbose) {
  switch (f) {
    case Format::kJson: return json_text(bench_to_json(r), 2) + "\n";
    case Format::kCsv: return bench_to_csv(r);
    case Format::kMarkdown: return bench_to_markdown(r);
    case Format::kText: return bench_to_text(r, verbose);
    default: return bench_to_text(r, verbose);  // checked_format allows no other
  }
}

/// The "-ops" twin of a plot path: "bench.svg" -> "bench-ops.svg".
std::string ops_plot_path(const std::string& plot) {
  const auto dot = plot.rfind(".svg");
  return dot != std::string::npos && dot + 4 == plot.size() ? plot.substr(0, dot) + "-ops.svg" : plot + "-ops.svg";
}

/// Writes each profiled configuration's Chrome trace and the operator table into DIR,
/// each file replaced atomically (a link planted in DIR is never written through). A
/// file that cannot be written is a warning: the sweep's results are not lost for it.
void write_profiles(BenchReport& report, const std::string& dir) {
  for (auto& row : report.rows) {
    if (!row.profile || !row.profile_sample || !row.profile->error.empty()) continue;
    const auto name = config_file_stem(row.spec) + ".trace.json";
    const auto err = write_file_atomically(dir, name, json_text(chrome_trace(*row.profile_sample, config_file_stem(row.spec))));
    if (err.empty()) row.profile->trace_file = join_path(dir, name);
    else warn(fmt::format("--profile: cannot write {}: {}", join_path(dir, name), err));
  }
  if (const auto err = write_file_atomically(dir, "ops.csv", op_profile_csv(report)); !err.empty()) {
    warn(fmt::format("--profile: cannot write {}: {}", join_path(dir, "ops.csv"), err));
  }
}

/// Creates the --profile directory when its parent exists, then checks it.
void prepare_profile_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    usage_error(fmt::format("--profile '{}': cannot create it: {}", dir, std::strerror(errno)));
  }
  check_output_dir(dir, "--profile");
}

/// Writes the report; when --output cannot be written after the sweep ran, the report
/// goes to stdout instead, so the measurements are not lost, and the error still counts.
void write_report(const std::string& text, const std::string& path) {
  try {
    write_output(text, path);
  } catch (const CommandError& e) {
    if (is_stdout_path(path)) throw;
    warn(e.message + "; the report follows on standard output");
    write_output(text, "");
    throw;
  }
}

void run_bench(const BenchOptions& o, int& exit_code) {
  const auto format = checked_format(o.format, o.command);
  // A soak, or a model named, is about that model: forward only unless --workload says more.
  const bool about_model = o.sweep.duration_s || !o.sweep.spec.model.empty();
  const std::vector<Workload> fallback = about_model ? std::vector<Workload>{Workload::kForward}
                                                     : std::vector<Workload>{Workload::kIndexSelect, Workload::kForward};
  const auto workloads = or_usage_error(parse_workloads(o.workloads, fallback));
  if (o.sweep.duration_s && std::find(workloads.begin(), workloads.end(), Workload::kForward) == workloads.end()) {
    usage_error("--duration soaks a model's forward: add --workload forward");
  }
  auto base = or_usage_error(base_spec(o.sweep));
  const bool profiling = !o.profile_dir.empty();
  if (profiling) {
    if (o.sweep.duration_s) usage_error("--profile and --duration do not mix: profile a normal run");
    base.profile_calls = o.profile_calls;
    base.profile_shapes = o.profile_shapes;
  }
  const auto allocators = or_usage_error(parse_allocators(o.allocators));
  check_output_path(o.output, "--output");
  check_output_path(o.plot, "--plot");
  if (profiling) prepare_profile_dir(o.profile_dir);
  const FsReader fs;
  auto report = make_report(fs);
  std::vector<ThreadChoice> threads;
  const int online = report.context.cpu.online.ok() ? static_cast<int>(report.context.cpu.online.value->size()) : 1;
  if (auto err = plan_threads(o.threads, report.context.capacity.usable_threads, online, threads); !err.empty()) usage_error(err);
  std::vector<int> streams;
  if (auto err = parse_count_list(o.streams, "--streams", kMaxThreads, streams); !err.empty()) usage_error(err);
  const auto launch = local_worker_launch();
  if (!launch) runtime_error(launch.error());
  SweepProgress progress("bench");
  report.rows = run_worker_sweep(plan_sweep(base, workloads, threads, streams, allocators), *launch, &progress);
  for (const auto& row : report.rows) {
    if (report.torch_version.empty()) report.torch_version = row.torch_version;
  }
  report.comparisons = compare_allocators(report.rows);
  if (profiling) {
    report.op_scaling = op_scaling(report.rows);
    write_profiles(report, o.profile_dir);
  }
  write_report(render(report, format, o.verbose), o.output);
  if (!o.plot.empty()) write_output(bench_to_svg(report), o.plot);
  if (!o.plot.empty() && !report.op_scaling.empty()) write_output(op_scaling_svg(report), ops_plot_path(o.plot));
  for (const auto w : workloads) {
    bool any_ok = false;
    std::string first_error;
    for (const auto& row : report.rows) {
      if (row.spec.workload != w) continue;
      any_ok = any_ok || row.status == RowStatus::kOk;
      if (first_error.empty()) first_error = row.error;
    }
    if (!any_ok) {
      fmt::print(stderr, "torchdiag: error: every {} configuration failed: {}\n", w, first_error);
      exit_code = kExitRuntime;
    }
  }
}

/// The options `bench` and `profile` share.
void add_sweep_options(CLI::App* cmd, const std::shared_ptr<BenchOptions>& o) {
  cmd->add_option("--workload", o->workloads,
                  "index_select or forward (repeatable; default: both, or forward alone with --model)");
  cmd->add_option("--model", o->sweep.spec.model, "TorchScript file for forward (default: the built-in model)")
      ->check(non_empty());
  cmd->add_option("--input", o->sweep.inputs, "Forward input shape[:dtype], e.g. 1x3x224x224 or 8x16:int64 (repeatable, one per argument)");
  cmd->add_flag("--freeze", o->sweep.spec.freeze, "Run torch::jit::freeze and optimize_for_inference before timing");
  cmd->add_option("--rows", o->sweep.spec.rows, "index_select table rows")->capture_default_str();
  cmd->add_option("--cols", o->sweep.spec.cols, "index_select table columns")->capture_default_str();
  cmd->add_option("--indices", o->sweep.spec.indices, "index_select random row indices per call")->capture_default_str();
  cmd->add_option("--threads", o->threads, "auto, or a list like 1,2,4,current")->capture_default_str();
  cmd->add_option("--interop", o->sweep.interop, "Inter-op threads (at::set_num_interop_threads); default: LibTorch's");
  cmd->add_option("--streams", o->streams, "Concurrent engine threads calling the op, e.g. 1,2,4")->capture_default_str();
  cmd->add_option("--allocator", o->allocators, "glibc, jemalloc or glibc,jemalloc")->capture_default_str();
  cmd->add_option("--warmup", o->sweep.spec.warmup, "Untimed calls per stream before timing")->capture_default_str();
  cmd->add_option("--min-time", o->sweep.spec.min_time_s, "Seconds each repetition runs at least")->check(finite_number())->capture_default_str();
  cmd->add_option("--repetitions", o->sweep.spec.repetitions, "Timed repetitions per configuration")->capture_default_str();
  cmd->add_option("--timeout", o->sweep.spec.timeout_s, "Seconds before a configuration's worker is killed")->check(finite_number())->capture_default_str();
  cmd->add_option("--format", o->format, "Output format: " + format_list(command_formats(o->command)))
      ->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Write the report to FILE instead of stdout")->check(non_empty());
  cmd->add_option("--plot", o->plot, "Also write an SVG chart of latency and throughput to FILE (and, profiling, FILE-ops.svg)")->check(non_empty());
  cmd->add_option("--events", o->sweep.events, "Perf events to count, comma-separated libpfm4 names (default: task-clock,context-switches,cpu-migrations,page-faults,cycles,instructions,cache-misses)");
  cmd->add_option("--profile-calls", o->profile_calls, "Profiling: calls recorded per configuration (stops after 1 s of calls)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_flag("--profile-shapes", o->profile_shapes, "Profiling: record operators' input shapes (one table row per shape)");
  cmd->add_flag("-v,--verbose", o->verbose, "More columns in the text table, every counter and why any is unavailable");
}

}  // namespace

void add_bench(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<BenchOptions>();
  auto* cmd = app.add_subcommand("bench", "Time index_select and model forward across thread settings");
  add_sweep_options(cmd, o);
  cmd->add_option("--profile", o->profile_dir,
                  "After each configuration's timed window, profile its operators; traces and ops.csv go to DIR")
      ->check(non_empty());
  cmd->add_option("--duration", o->sweep.duration_s, "Soak: run each forward configuration this many seconds, sampling RSS")
      ->check(finite_number());
  cmd->add_flag("--vary-batch", o->sweep.vary_batch, "Soak: new inputs with a random batch size on every call (fragments the heap)");
  cmd->callback([o, &exit_code] { run_bench(*o, exit_code); });
}

void add_profile(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<BenchOptions>();
  o->command = "profile";
  o->profile_dir = "torchdiag-profile";
  auto* cmd = app.add_subcommand("profile", "Where a forward call's time goes: operators per thread setting (bench --profile)");
  add_sweep_options(cmd, o);
  cmd->add_option("--profile", o->profile_dir, "Directory for the Chrome traces and ops.csv")
      ->check(non_empty())
      ->capture_default_str();
  cmd->callback([o, &exit_code] {
    if (o->workloads.empty()) o->workloads = {"forward"};
    run_bench(*o, exit_code);
  });
}

}  // namespace torchdiag::cli
