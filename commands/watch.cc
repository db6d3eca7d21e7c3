// `torchdiag watch`: a verdict on real running processes, relative to the CPUs each
// may really use, from their own /proc entries over a few seconds.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "commands.h"
#include "common.h"
#include "progress.h"
#include "model/finding.h"
#include "report/format.h"
#include "report/openmetrics.h"
#include "report/watch_render.h"
#include "sys/atomic_file.h"
#include "sys/clock.h"
#include "sys/fs_reader.h"
#include "sys/perf_open.h"
#include "sys/stop_signals.h"
#include "util/json_text.h"
#include "util/strings.h"
#include "watch/targets.h"
#include "watch/watcher.h"

namespace torchdiag::cli {
namespace {

constexpr double kMaxDurationS = 24 * 3600;
constexpr double kMinIntervalS = 0.1;
constexpr size_t kLiveRows = 20;

constexpr const char* kTextfileName = "torchdiag.prom";  ///< node_exporter reads DIR/*.prom
constexpr size_t kDefaultMaxSeries = 50;

struct WatchCliOptions {
  std::vector<int> pids;
  bool all = false;
  std::string match;
  double duration_s = 10;
  double interval_s = 1;
  bool interval_given = false;
  bool spin = false;
  bool no_spin = false;
  std::string format = "text";
  std::string output;
  std::string plot;
  bool verbose = false;
  bool check = false;
  bool format_given = false;
  std::string textfile_dir;
  double every_s = 0;
  size_t max_series = kDefaultMaxSeries;
};

/// The live table on stderr, redrawn in place each interval; only on a terminal that
/// can move the cursor (not TERM=dumb).
class LiveTable : public WatchObserver {
 public:
  LiveTable() : enabled_(stderr_terminal() == Terminal::kAnsi) {}
  ~LiveTable() override { clear(); }
  LiveTable(const LiveTable&) = delete;
  LiveTable& operator=(const LiveTable&) = delete;

  void on_interval(const WatchReport& so_far) override {
    if (!enabled_) return;
    clear();
    const auto table = watch_live_table(so_far, kLiveRows);
    fmt::print(stderr, "{}", table);
    std::fflush(stderr);
    lines_ = static_cast<int>(std::count(table.begin(), table.end(), '\n'));
  }

 private:
  void clear() {
    if (lines_ > 0) fmt::print(stderr, "\033[{}A\033[J", lines_);
    lines_ = 0;
  }
  bool enabled_ = false;
  int lines_ = 0;
};

std::vector<WatchTarget> select_targets(const WatchCliOptions& o, const FsReader& fs, std::string& selection,
                                        int& scanned) {
  std::vector<WatchTarget> targets;
  std::vector<std::string> words;
  for (const int pid : o.pids) {
    auto t = identify_process(fs, pid);
    if (!t) usage_error(fmt::format("--pid {}: {}", pid, t.error()));
    const bool seen = std::any_of(targets.begin(), targets.end(), [&](const WatchTarget& x) { return x.pid == pid; });
    if (!seen) targets.push_back(std::move(*t));
    words.push_back(std::to_string(pid));
  }
  if (!o.pids.empty()) selection = "--pid " + join(words, " ");
  if (!o.all && o.match.empty()) return targets;
  std::optional<std::string> match;
  if (!o.match.empty()) match = o.match;
  auto found = discover_processes(fs, static_cast<int>(::getpid()), match, o.all, scanned);
  if (!found) usage_error(found.error());
  for (auto& t : *found) {
    const bool seen = std::any_of(targets.begin(), targets.end(), [&](const WatchTarget& x) { return x.pid == t.pid; });
    if (!seen) targets.push_back(std::move(t));
  }
  std::string scan = o.all ? "--all" : "";
  if (!o.match.empty()) scan += (scan.empty() ? "" : " ") + std::string("--match ") + o.match;
  selection += (selection.empty() ? "" : " ") + scan;
  return targets;
}

/// Seconds since the epoch, for the metrics' timestamp of a round.
double unix_now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string render(const WatchReport& report, Format format, const WatchCliOptions& o) {
  switch (format) {
    case Format::kJson: return json_text(watch_to_json(report), 2) + "\n";
    case Format::kOpenMetrics: return watch_to_openmetrics(report, o.max_series, unix_now_s());
    default: return watch_to_text(report, o.verbose);
  }
}

/// One watch: finds the targets, watches them, writes every output asked for. Throws
/// CommandError like any command.
WatchReport run_round(const WatchCliOptions& o, const FsReader& fs, WatchOptions wo, Format format) {
  const auto targets = select_targets(o, fs, wo.selection, wo.processes_scanned);
  LiveTable live;
  const auto report = watch_processes(fs, targets, wo, &live);
  if (!o.textfile_dir.empty()) {
    const auto error = write_file_atomically(o.textfile_dir, kTextfileName,
                                             watch_to_openmetrics(report, o.max_series, unix_now_s()));
    if (!error.empty()) runtime_error(error);
  }
  if (o.textfile_dir.empty() || o.format_given) write_output(render(report, format, o), o.output);
  if (!o.plot.empty()) write_output(watch_to_svg(report), o.plot);
  return report;
}

/// "round 3: 4 processes (1 oversubscribed), wrote DIR/torchdiag.prom": the DaemonSet's log.
std::string round_summary(int round, const WatchReport& r, const WatchCliOptions& o) {
  const auto over = std::count_if(r.processes.begin(), r.processes.end(),
                                  [](const WatchedProcess& p) { return p.verdict == Verdict::kOversubscribed; });
  return fmt::format("round {}: {} process(es) ({} oversubscribed){}", round, r.processes.size(), over,
                     o.textfile_dir.empty() ? "" : fmt::format(", wrote {}/{}", o.textfile_dir, kTextfileName));
}

void run_watch(const WatchCliOptions& o, int& exit_code) {
  const auto format = checked_format(o.format, "watch");
  if (o.pids.empty() && !o.all && o.match.empty()) {
    usage_error("name the processes to watch: --pid PID (repeatable), --all, or --match REGEX");
  }
  if (!(o.duration_s >= kMinIntervalS)) {
    usage_error(fmt::format("--duration {}: must be at least {} s (one sampling interval)", o.duration_s, kMinIntervalS));
  }
  // Without --interval, a window shorter than the default interval is one interval.
  const double interval_s = o.interval_given ? o.interval_s : std::min(o.interval_s, o.duration_s);
  if (interval_s > o.duration_s) {
    usage_error(fmt::format("--interval {} is longer than --duration {}", interval_s, o.duration_s));
  }
  if (o.every_s > 0 && o.every_s < o.duration_s) {
    usage_error(fmt::format("--every {} is shorter than --duration {}", o.every_s, o.duration_s));
  }
  check_output_path(o.output, "--output");
  if (!o.plot.empty()) check_output_path(o.plot, "--plot");
  // Round after round (--every), an unwritable directory is logged and retried instead.
  if (!o.textfile_dir.empty() && o.every_s <= 0) {
    check_output_dir(o.textfile_dir, "--textfile-dir");
  }
  const FsReader fs;
  WatchOptions wo;
  wo.duration_s = o.duration_s;
  wo.interval_s = interval_s;
  wo.paranoid = read_perf_paranoid(fs).value_or(-1);
  wo.spin = !o.no_spin;
  StopOnSignals signals;
  wo.stop = &signals.flag();
  if (o.every_s <= 0) {
    const auto report = run_round(o, fs, wo, format);
    if (o.check && has_problem(report.findings)) exit_code = kExitFindings;
    return;
  }
  // A DaemonSet: round after round until SIGTERM; a failed round is logged and retried.
  int rounds = 0;
  for (int round = 1; !signals.flag().load(); ++round) {
    rounds = round;
    const double start = steady_now_s();
    try {
      note(round_summary(round, run_round(o, fs, wo, format), o));
    } catch (const CommandError& e) {
      warn(fmt::format("round {} failed: {}; next round in {:g} s", round, e.message, o.every_s));
    }
    sleep_until(start + o.every_s, &signals.flag());
  }
  note(fmt::format("stopped by signal {} after round {}", signals.signal(), rounds));
}

}  // namespace

void add_watch(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<WatchCliOptions>();
  auto* cmd = app.add_subcommand(
      "watch", "Judge running processes: runnable threads against the CPUs each may use, over a few seconds");
  cmd->add_option("--pid", o->pids, "Watch this process (repeatable)")
      ->type_name("PID")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()).description(""));
  cmd->add_flag("--all", o->all,
                "Watch every process in this PID namespace that maps an OpenMP runtime, a BLAS pool, libtorch "
                "or ONNX Runtime");
  cmd->add_option("--match", o->match,
                  "Also watch processes whose command line matches this regular expression (alone: only those)")
      ->type_name("REGEX")
      ->check(non_empty());
  cmd->add_option("--duration", o->duration_s, "Seconds to watch (Ctrl-C ends early and still reports)")
      ->type_name("SECONDS")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::Range(0.0, kMaxDurationS).description(""));
  auto* interval = cmd->add_option("--interval", o->interval_s, "Seconds between samples");
  interval->type_name("SECONDS")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::Range(kMinIntervalS, kMaxDurationS).description(""));
  cmd->add_flag("--spin", o->spin,
                "Sample CPU time with perf_event_open to measure spinning in the OpenMP runtime (the default)");
  cmd->add_flag("--no-spin", o->no_spin, "Do not sample CPU time (no spin share; wins over --spin)");
  auto* format = cmd->add_option("--format", o->format, "Output format: " + format_list(command_formats("watch")));
  format->type_name("FORMAT")->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Write the report to FILE instead of stdout")
      ->type_name("FILE")
      ->check(non_empty());
  cmd->add_option("--plot", o->plot, "Also write runnable threads and CPUs used over time as an SVG")
      ->type_name("FILE.svg")
      ->check(non_empty());
  cmd->add_option("--textfile-dir", o->textfile_dir,
                  "Also write the metrics to DIR/torchdiag.prom atomically (node_exporter's textfile collector)")
      ->type_name("DIR")
      ->check(non_empty());
  cmd->add_option("--every", o->every_s,
                  "Repeat the watch every SECONDS until SIGTERM (a failed round is logged and retried)")
      ->type_name("SECONDS")
      ->check(finite_number())
      ->check(CLI::Range(kMinIntervalS, kMaxDurationS).description(""));
  cmd->add_option("--max-series", o->max_series, "Processes (most threads first) in the metrics")
      ->type_name("N")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000}).description(""));
  cmd->add_flag("--check", o->check, "Exit 3 when a warning or critical finding fired");
  cmd->add_flag("-v,--verbose", o->verbose, "Show every thread group and the timeline");
  cmd->callback([o, interval, format, &exit_code] {
    o->interval_given = interval->count() > 0;
    o->format_given = format->count() > 0;
    run_watch(*o, exit_code);
  });
}

}  // namespace torchdiag::cli
