// `torchdiag inspect`: the CPU truth for this process (or another one, or a snapshot).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "advise/capacity_rules.h"
#include "advise/findings.h"
#include "commands.h"
#include "common.h"
#include "probe/inspect_probe.h"
#include "probe/node_facts.h"
#include "probe/perf_capability.h"
#include "probe/process_probe.h"
#include "probe/torch_probe.h"
#include "report/format.h"
#include "report/inspect_json.h"
#include "report/inspect_text.h"
#include "report/openmetrics.h"
#include "sys/kernel_paths.h"
#include "sys/subprocess.h"
#include "util/json_text.h"

namespace torchdiag::cli {
namespace {

struct InspectOptions {
  std::string root;
  std::string format = "text";
  std::string output;
  bool no_torch = false;
  bool verbose = false;
  bool check = false;
  int pid = 0;
  int engine_threads = 1;
};

void check_pid(const FsReader& fs, int pid) {
  if (!fs.is_dir(paths::proc_dir(pid))) {
    usage_error(fmt::format("--pid {}: no such process", pid));
  }
}

std::string render(const InspectReport& report, Format format, bool verbose) {
  switch (format) {
    case Format::kJson: return json_text(inspect_to_json(report), 2) + "\n";
    case Format::kText: return inspect_to_text(report, verbose);
    case Format::kOpenMetrics: return inspect_to_openmetrics(report);
    default: return inspect_to_text(report, verbose);  // checked_format allows no other
  }
}

void run_inspect(const InspectOptions& o, int& exit_code) {
  const auto format = checked_format(o.format, "inspect");
  if (!o.root.empty()) check_root_dir(o.root);
  check_output_path(o.output, "--output");
  const FsReader fs(o.root.empty() ? FsReader::kLiveRoot : o.root);
  std::optional<int> pid;
  if (o.pid) {
    check_pid(fs, o.pid);
    pid = o.pid;
  }
  const auto report = collect_inspect(fs, pid, !o.no_torch, o.engine_threads);
  write_output(render(report, format, o.verbose), o.output);
  if (o.check && has_problem(report.findings)) exit_code = kExitFindings;
}

}  // namespace

InspectReport collect_inspect(const FsReader& fs, std::optional<int> pid, bool with_torch, int engine_threads) {
  auto report = probe_inspect(fs, pid);
  report.capacity = compute_capacity(report.cpu, report.cgroup);
  report.node = probe_node(fs, paths::proc_dir(pid.value_or(0)), report.cgroup.path);
  if (pid) {
    report.process = probe_process(fs, *pid);
    if (report.process->comm.empty() && !fs.is_dir(paths::proc_dir(*pid))) {
      runtime_error(fmt::format("--pid {}: the process exited while being read", *pid));
    }
  }
  if (with_torch) {
    TorchFacts t;
    if (!fs.is_live()) t.reason = "not run under --root (a snapshot has no LibTorch to ask)";
    else if (pid) t.reason = "not run for --pid (the thread pools mapped into the process are listed)";
    else t = probe_torch(current_environment());
    report.torch = t;
  }
  if (!pid) report.profiling = probe_perf_capability(fs);
  report.findings = diagnose(report, DiagnoseOptions{engine_threads});
  return report;
}

void add_inspect(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect", "Report CPUs, cgroup limits, LibTorch's view and findings");
  cmd->add_option("--root", o->root, "Analyse a snapshot tree (from 'torchdiag snapshot') instead of this system")
      ->check(non_empty());
  cmd->add_option("--format", o->format, "Output format: " + format_list(command_formats("inspect")))->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Write the report to FILE instead of stdout")->check(non_empty());
  cmd->add_option("--pid", o->pid, "Inspect another running process through /proc/PID")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()).description(""));
  cmd->add_option("--engine-threads", o->engine_threads,
                  "Concurrent inference threads per process, for the oversubscription check")
      ->check(CLI::Range(1, 4096));
  cmd->add_flag("--no-torch", o->no_torch, "Skip the LibTorch section (no worker start)");
  cmd->add_flag("--check", o->check, "Exit 3 when a warning or critical finding fired");
  cmd->add_flag("-v,--verbose", o->verbose, "Also print LibTorch's parallel info and build config");
  cmd->callback([o, &exit_code] { run_inspect(*o, exit_code); });
}

}  // namespace torchdiag::cli
