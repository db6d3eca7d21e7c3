// `torchdiag recommend`: the thread settings to deploy with, safe in any entrypoint.
// Quick mode only reads CPU and cgroup facts: no worker, no LibTorch, milliseconds.
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "advise/capacity_rules.h"
#include "advise/recommend_policy.h"
#include "commands.h"
#include "common.h"
#include "util/cpu_list.h"
#include "util/strings.h"
#include "probe/env_probe.h"
#include "probe/cpu_topology.h"
#include "probe/inspect_probe.h"
#include "report/format.h"
#include "report/recommend_render.h"
#include "sys/exec.h"
#include "sys/fs_reader.h"
#include "recommend_measure.h"
#include "sys/kernel_paths.h"
#include "advise/profile_policy.h"
#include "probe/node_facts.h"
#include "report/profile_json.h"
#include "sys/atomic_file.h"
#include "sys/loaded_libs.h"
#include "sys/user_file.h"

namespace torchdiag::cli {
namespace {

struct RecommendOptions {
  std::string root;
  std::string format;  ///< "" = text when stdout is a terminal, shell otherwise
  std::string output;
  int workers = 1;
  int streams = 1;
  bool exec = false;
  bool override_env = false;
  bool strict = false;
  bool explain = false;
  bool quick = false;  ///< the default mode; accepted so scripts can say it
  MeasureOptions measure;
  std::vector<std::string> command;
  std::string cpus, cpuset, memory;  ///< the target container's limits, as given
  std::string profile;               ///< --profile FILE, else $TORCHDIAG_PROFILE
  bool profile_from_env = false;     ///< `profile` came from $TORCHDIAG_PROFILE
  bool streams_given = false, workers_given = false;  ///< fixed on the command line
  /// A new measurement: --measure (or --model/--workload) without a profile to apply.
  bool measuring() const { return measure.wanted() && profile.empty(); }
};

/// --cpus, --cpuset and --memory checked: usage errors name the option and the problem.
TargetLimits target_limits(const RecommendOptions& o) {
  TargetLimits t;
  if (!o.cpus.empty()) {
    const auto v = parse_double(o.cpus);
    if (!v || *v <= 0 || *v > 65536) {
      usage_error(fmt::format("--cpus '{}': not a number of CPUs above 0 (fractions allowed, e.g. 0.5)", o.cpus));
    }
    t.cpus = *v;
  }
  if (!o.cpuset.empty()) {
    const auto parsed = parse_cpu_list(o.cpuset);
    if (!parsed.ok()) usage_error(fmt::format("--cpuset '{}': {}", o.cpuset, parsed.error));
    if (parsed.cpus.empty()) usage_error(fmt::format("--cpuset '{}': no CPU in the list", o.cpuset));
    t.cpuset = format_cpu_list(parsed.cpus);
  }
  if (!o.memory.empty()) {
    const auto v = parse_byte_size(o.memory);
    if (!v) usage_error(fmt::format("--memory '{}': not a size (bytes, or with a unit: 512Mi, 4Gi, 4G, 4g)", o.memory));
    t.memory_bytes = *v;
  }
  return t;
}

/// The facts as the target container would see them on this node: its CPU limit as the
/// quota, its cpuset as the affinity mask (with the topology re-read for it).
void apply_target(const TargetLimits& t, const FsReader& fs, InspectReport& report) {
  if (t.cpus || t.cpuset) {  // the target's CPU limits replace this container's, also by their absence
    report.cgroup.quota_cpus.reset();
    report.cgroup.quota_source.clear();
  }
  if (t.cpus) {
    report.cgroup.quota_cpus = *t.cpus;
    report.cgroup.quota_source = "--cpus";
    report.cgroup.period_us = 100000;
    report.cgroup.quota_us = std::llround(*t.cpus * 100000);
  }
  if (t.cpuset) {
    const auto cpus = parse_cpu_list(*t.cpuset).cpus;
    if (report.cpu.online.ok()) {
      for (const int cpu : cpus) {
        if (!std::binary_search(report.cpu.online.value->begin(), report.cpu.online.value->end(), cpu)) {
          usage_error(fmt::format("--cpuset '{}': CPU {} is not online on this node ({})", *t.cpuset, cpu,
                                  format_cpu_list(*report.cpu.online.value)));
        }
      }
    }
    report.cgroup.cpuset = Fact<CpuSet>::known(cpus, "--cpuset");
    report.cpu = probe_cpu_topology(fs, Fact<CpuSet>::known(cpus, "--cpuset"));
  }
}

/// The output form; an unknown one is a usage error even in entrypoint mode, so the
/// container author sees it on the first start.
Format pick_format(const RecommendOptions& o) {
  if (o.format.empty()) {
    return is_stdout_path(o.output) && ::isatty(STDOUT_FILENO) ? Format::kText : Format::kShell;
  }
  return checked_format(o.format, "recommend");
}

void check_usage(const RecommendOptions& o) {
  if (o.quick && o.measure.wanted()) usage_error("--quick and --measure (or --model/--workload) exclude each other");
  if (!o.profile.empty() && !o.profile_from_env && (o.measure.measure || !o.measure.workload.empty() || o.quick)) {
    usage_error("--profile applies a saved measurement; it excludes --measure, --workload and --quick");
  }
  if (o.measuring()) {
    check_measure_options(o.measure, !o.root.empty());
  } else if (!o.measure.save.empty() || !o.measure.max_p99.empty() || !o.measure.max_rss.empty() ||
             !o.measure.min_throughput.empty()) {
    usage_error("--save, --max-p99, --max-rss and --min-throughput belong to --measure");
  }
  if (o.exec && o.command.empty()) {
    usage_error("--exec needs a command: torchdiag recommend --exec -- CMD [ARGS...]");
  }
  if (!o.exec && !o.command.empty()) {
    usage_error(fmt::format("unexpected argument '{}' (to run a command: --exec -- CMD [ARGS...])",
                            o.command.front()));
  }
}

/// The variables the user already set: the live environment unless a snapshot is
/// analysed for printing (then the snapshot's, which may be unknown).
std::map<std::string, std::string> fallback_env(const RecommendOptions& o) {
  if (o.exec || o.root.empty()) return probe_env(FsReader(), paths::proc_dir()).vars;
  return {};
}

/// The CPU model line of this node (or the snapshot's), "" when unknown.
std::string cpu_model(const FsReader& fs) {
  const auto f = fs.read(paths::kCpuinfo);
  return f.ok() ? parse_cpuinfo(f.text).model : "";
}

/// The exact command that applies a measurement: from the saved profile, else the values.
std::string apply_command(const RecommendOptions& o, const Recommendation& rec) {
  if (!o.measure.save.empty()) {
    std::string path = o.measure.save;  // absolute: the entrypoint runs elsewhere
    char cwd[PATH_MAX];
    if (path.front() != '/' && ::getcwd(cwd, sizeof cwd)) path = std::string(cwd) + "/" + path;
    return fmt::format("eval \"$(torchdiag recommend --profile {} --format shell)\"", shell_quote(path));
  }
  std::string out = "export";
  for (const auto& s : rec.env) out += fmt::format(" {}={}", s.name, shell_quote(s.value));
  return out;
}

/// A new measurement on this machine; failures leave the quick answer with a problem.
void measure_into(const RecommendOptions& o, const FsReader& fs, RecommendInputs& inputs,
                  std::optional<MeasuredProfile>& profile) {
  SearchAxes axes;
  if (o.streams_given) axes.streams = o.streams;
  if (o.workers_given) axes.workers = o.workers;
  ProfileFacts pf;
  pf.usable_threads = inputs.facts.usable_threads;
  pf.quota_cpus = inputs.facts.quota_cpus;
  pf.cpuset = inputs.facts.affinity;
  pf.cpu_model = cpu_model(fs);
  try {
    auto run = run_measurement(o.measure, inputs.facts, axes, choose_threads(inputs.facts), pf, inputs.warnings,
                               inputs.problems);
    inputs.measured = std::make_shared<MeasuredEvidence>(std::move(run.evidence));
    profile = std::move(run.profile);
  } catch (const std::exception& e) {
    inputs.problems.push_back({fmt::format("measurement failed ({}); the quick answer is used", e.what())});
  }
}

/// --profile: the saved answer when it carries over; any failure leaves the quick answer
/// with a problem (bad input: --strict exits 2), never a failed start.
void profile_into(const RecommendOptions& o, const FsReader& fs, RecommendInputs& inputs) {
  const auto where = fmt::format("{} '{}'", o.profile_from_env ? "TORCHDIAG_PROFILE" : "--profile", o.profile);
  const auto text = read_user_file(o.profile, kMaxProfileBytes);
  auto parsed = text ? parse_profile(*text) : Expected<MeasuredProfile>::failure(text.error());
  if (!parsed) {
    inputs.problems.push_back({fmt::format("{}: {}; answering from the CPU facts (quick mode)", where, parsed.error()), true});
    return;
  }
  ProfileContext ctx;
  ctx.path = o.profile;
  ctx.cpu_model = cpu_model(fs);
  ctx.jemalloc_path = installed_jemalloc();
  if (!o.measure.sweep.spec.model.empty()) {
    const auto hash = hash_user_file(o.measure.sweep.spec.model);
    if (!hash) {
      inputs.problems.push_back({fmt::format("--model '{}': {}; the profile is applied without checking the model",
                                             o.measure.sweep.spec.model, hash.error()), true});
    } else {
      ctx.model_hash = *hash;
    }
  }
  ProfileUse use;
  auto evidence = apply_profile(*parsed, inputs.facts, ctx, use, inputs.warnings);
  if (evidence) inputs.measured = std::make_shared<MeasuredEvidence>(std::move(*evidence));
}

Recommendation quick_recommendation(const RecommendOptions& o, const RecommendRequest& request,
                                    const TargetLimits& target, std::optional<MeasuredProfile>& profile) {
  const FsReader fs(o.root.empty() ? FsReader::kLiveRoot : o.root);
  auto report = probe_inspect(fs);
  apply_target(target, fs, report);
  report.capacity = compute_capacity(report.cpu, report.cgroup);
  // --exec: the command inherits this process's environment, not the snapshot's.
  if (o.exec) report.env = probe_env(FsReader(), paths::proc_dir());
  auto inputs = inputs_from_report(report, request);
  inputs.facts.target = target;
  if (o.measuring()) {
    measure_into(o, fs, inputs, profile);
  } else if (!o.profile.empty()) {
    profile_into(o, fs, inputs);
  }
  auto rec = recommend(inputs);
  if (rec.mode == RecommendMode::kMeasure) rec.apply_command = apply_command(o, rec);
  return rec;
}

/// Never throws: whatever fails, the answer is at worst the safe minimum.
Recommendation compute(const RecommendOptions& o, std::optional<MeasuredProfile>& profile) {
  const RecommendRequest request{o.workers, o.streams, o.override_env};
  const auto target = target_limits(o);  // bad limits are usage errors, never a fallback
  if (!o.root.empty()) {
    try {
      check_root_dir(o.root);
    } catch (const CommandError& e) {
      return recommend(fallback_inputs({e.message, true}, fallback_env(o), request));
    }
  }
  try {
    return quick_recommendation(o, request, target, profile);
  } catch (const std::exception& e) {
    return recommend(fallback_inputs({fmt::format("gathering CPU facts failed: {}", e.what())},
                                     fallback_env(o), request));
  }
}

/// Writes the profile atomically; "" or why not.
std::string write_profile(const std::string& path, const MeasuredProfile& profile) {
  const auto dir = parent_path(path);
  return write_file_atomically(dir.empty() ? "." : dir, path.substr(path.rfind('/') + 1), profile_to_json_text(profile));
}

/// The forms that carry only variables cannot say "run 2 workers": when the search
/// chose a shape the user did not give, say so beside them.
void warn_unstated_shape(const RecommendOptions& o, const Recommendation& rec, Format format) {
  const bool variables_only = o.exec || format == Format::kShell || format == Format::kEnv ||
                              format == Format::kDocker || format == Format::kK8s || format == Format::kSystemd;
  if (!rec.search || !variables_only) return;
  const bool workers = !o.workers_given && rec.facts.workers != o.workers;
  const bool streams = !o.streams_given && rec.facts.streams != o.streams;
  if (!workers && !streams) return;
  warn(fmt::format("the measured settings are for {} worker process(es) x {} stream(s) each, which these variables "
                   "cannot express; for one process with one stream, measure with --workers 1 --streams 1",
                   rec.facts.workers, rec.facts.streams));
}

/// --strict: the first problem is an error. Otherwise every problem and warning is
/// printed on stderr and the answer stands.
void report_problems(const Recommendation& rec, bool strict) {
  if (strict && !rec.problems.empty()) {
    const auto& first = rec.problems.front();
    const auto more = rec.problems.size() - 1;
    throw CommandError{
        first.bad_input ? kExitUsage : kExitRuntime,
        first.message + (more ? fmt::format(" (and {} more problem(s))", more) : "")};
  }
  for (const auto& p : rec.problems) warn(p.message);
  if (!rec.facts.capacity_known) {
    warn("CPU facts unavailable: recommending the safe minimum of 1 thread");
  }
  for (const auto& w : rec.warnings) warn(w.message);
}

[[noreturn]] void exec_with(const Recommendation& rec, const std::vector<std::string>& command) {
  std::map<std::string, std::string> vars;
  for (const auto& s : rec.env) vars[s.name] = s.value;
  const auto failure = exec_command(command, vars);
  throw CommandError{failure.exit_code, failure.message};
}

void run_recommend(const RecommendOptions& o) {
  check_usage(o);
  check_output_path(o.output, "--output");
  const auto format = o.exec ? Format::kShell : pick_format(o);
  std::optional<MeasuredProfile> profile;
  const auto rec = compute(o, profile);
  report_problems(rec, o.strict);
  warn_unstated_shape(o, rec, format);
  const bool explain_on_stdout = !o.exec && format == Format::kText;
  if (o.explain && !explain_on_stdout) fmt::print(stderr, "{}", render_explain(rec));
  if (o.exec) exec_with(rec, o.command);
  std::string save_error;
  if (!o.measure.save.empty()) {
    save_error = profile ? write_profile(o.measure.save, *profile) : "nothing was measured";
  }
  write_output(render_recommendation(rec, format, o.explain).value_or(""), o.output);
  if (!rec.apply_command.empty() && format != Format::kText) {
    fmt::print(stderr, "torchdiag: apply what was measured: {}\n", rec.apply_command);
  }
  if (!save_error.empty()) runtime_error(fmt::format("--save '{}': {}", o.measure.save, save_error));
}

void add_options(CLI::App& cmd, RecommendOptions& o) {
  cmd.add_option("--root", o.root,
                 "Analyse a snapshot tree (from 'torchdiag snapshot') instead of this system")
      ->type_name("DIR")
      ->check(non_empty());
  auto* format = cmd.add_option("--format", o.format,
                                fmt::format("Output form: {} (default: text on a terminal, shell otherwise)",
                                            format_list(command_formats("recommend"))))
                     ->type_name("FORM");
  auto* output =
      cmd.add_option("-o,--output", o.output, "Write the answer to FILE instead of stdout")
          ->type_name("FILE")
          ->check(non_empty());
  cmd.add_option("--workers", o.workers, "Processes sharing the CPUs (e.g. TorchServe workers); --measure searches it unless given")
      ->type_name("W")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd.add_option("--streams", o.streams,
                 "Engine threads per process running inference concurrently; --measure searches it unless given")
      ->type_name("S")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  auto* exec = cmd.add_flag("--exec", o.exec,
                            "Set the variables and replace torchdiag with CMD (no shell); "
                            "give CMD after --");
  exec->excludes(format)->excludes(output);
  cmd.add_flag("--override", o.override_env,
               "Replace thread variables already set in the environment");
  cmd.add_flag("--strict", o.strict, "Fail (exit 1, or 2 for bad input) instead of falling back");
  cmd.add_flag("--explain", o.explain,
               "Print the evidence table (stdout for text, stderr for the other forms)");
  cmd.add_flag("--quick", o.quick, "Decide from CPU and cgroup facts only (the default)");
  cmd.add_option("--cpus", o.cpus, "Compute for a container with this CPU limit (e.g. 4 or 0.5), not this one; --measure runs under it")
      ->type_name("N");
  cmd.add_option("--cpuset", o.cpuset, "Compute for a container pinned to these CPUs (e.g. 0-3), not this one; --measure runs on them")
      ->type_name("LIST");
  cmd.add_option("--memory", o.memory, "The target container's memory limit (e.g. 4Gi), for --format k8s")
      ->type_name("SIZE");
  cmd.add_option("--profile", o.profile,
                 "Apply a profile saved by --measure --save (default: $TORCHDIAG_PROFILE), instantly")
      ->type_name("FILE")
      ->check(non_empty());
  add_measure_options(cmd, o.measure);
  cmd.add_option("command", o.command, "CMD [ARGS...] for --exec, after --")->type_name("CMD");
}

}  // namespace

void add_recommend(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<RecommendOptions>();
  auto* cmd = app.add_subcommand(
      "recommend", "Print the thread settings to deploy with (OMP_NUM_THREADS, MKL_NUM_THREADS)");
  add_options(*cmd, *o);
  cmd->callback([o, cmd, &exit_code] {
    exit_code = kExitOk;
    o->streams_given = cmd->count("--streams") > 0;
    o->workers_given = cmd->count("--workers") > 0;
    if (o->profile.empty() && !o->measure.wanted()) {
      if (const char* env = std::getenv("TORCHDIAG_PROFILE"); env && *env) {
        o->profile = env;
        o->profile_from_env = true;
      }
    }
    run_recommend(*o);
  });
}

}  // namespace torchdiag::cli
