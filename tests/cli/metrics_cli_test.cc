// `--format openmetrics` and the node_exporter textfile mode from the command line: the
// real output of inspect, recommend and watch checked by two independent validators,
// Prometheus' `promtool check metrics` and the strict OpenMetrics parser of the Python
// client (Debian packages prometheus and python3-prometheus-client); escaped process
// names; `watch --every --textfile-dir` round after round until SIGTERM; unwritable
// textfile directories; --max-series.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cli/run_binary.h"
#include "integration/quota_cgroup.h"
#include "sys/subprocess.h"

using namespace torchdiag::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPython = "/usr/bin/python3";

/// Parses stdin with the strict OpenMetrics parser; also refuses families that are not
/// documented gauges, text that is not UTF-8, and the same series twice (the parser
/// silently keeps one of two identical lines, Prometheus rejects them).
constexpr const char* kOpenMetricsCheck = R"PY(
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
text = sys.stdin.buffer.read().decode("utf-8")
errors = []
families = list(text_string_to_metric_families(text))
for f in families:
    if f.type != "gauge":
        errors.append("%s: type %s, not gauge" % (f.name, f.type))
    if not f.documentation:
        errors.append("%s: no # HELP" % f.name)
    if not f.samples:
        errors.append("%s: no samples" % f.name)
seen = set()
for line in text.split("\n"):
    if not line or line.startswith("#"):
        continue
    series = line.rsplit(" ", 1)[0]
    if series in seen:
        errors.append("duplicate series: " + series)
    seen.add(series)
if errors:
    print("\n".join(errors))
    sys.exit(1)
print("%d families, %d series" % (len(families), len(seen)))
)PY";

constexpr const char* kHasParser = "import prometheus_client.openmetrics.parser";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The executable `name` on PATH, or "".
std::string on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const auto end = std::min(dirs.find(':', start), dirs.size());
    const auto candidate = dirs.substr(start, end - start) + "/" + name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

torchdiag::SpawnResult run_with_stdin(const std::vector<std::string>& argv, const std::string& input) {
  torchdiag::SpawnOptions o;
  o.argv = argv;
  o.env = torchdiag::current_environment();
  o.stdin_text = input;
  o.timeout_s = 60;
  return torchdiag::run_process(o);
}

/// promtool's path; fails the test when it is not installed.
std::string promtool() {
  const auto p = on_path("promtool");
  if (p.empty()) FAIL("promtool is not installed (Debian package prometheus; the project's install script adds it)");
  return p;
}

/// Fails the test when the Python client's OpenMetrics parser is not installed.
void require_python_parser() {
  if (::access(kPython, X_OK) != 0) FAIL(kPython << " is missing (Debian package python3-prometheus-client)");
  const auto r = run_with_stdin({kPython, "-c", kHasParser}, "");
  if (!r.ok()) {
    FAIL("the OpenMetrics parser of prometheus_client cannot be imported by "
         << kPython << " (Debian package python3-prometheus-client; the project's install script adds it): "
         << r.stderr_text);
  }
}

/// Checks `text` with both validators.
void validate(const std::string& text) {
  INFO("metrics:\n" << text);
  const auto tool = promtool();
  require_python_parser();
  const auto prom = run_with_stdin({tool, "check", "metrics"}, text);
  {
    INFO("promtool check metrics: " << prom.describe() << "\n" << prom.stdout_text << prom.stderr_text);
    CHECK(prom.ok());
  }
  const auto om = run_with_stdin({kPython, "-c", kOpenMetricsCheck}, text);
  {
    INFO("OpenMetrics parser: " << om.describe() << "\n" << om.stdout_text << om.stderr_text);
    CHECK(om.ok());
  }
  CHECK(text.size() >= 6);
  CHECK(text.compare(text.size() - 6, 6, "# EOF\n") == 0);
}

/// The sample lines of family `name` (exactly the family, not a longer name).
std::vector<std::string> samples(const std::string& text, const std::string& name) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    const auto end = std::min(text.find('\n', at), text.size());
    const auto line = text.substr(at, end - at);
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
        (line[name.size()] == '{' || line[name.size()] == ' ')) {
      out.push_back(line);
    }
    at = end + 1;
  }
  return out;
}

/// The value of label `key` in a sample line ("" when absent; escapes left as they are).
std::string label(const std::string& line, const std::string& key) {
  const std::regex re("[{,]" + key + "=\"((?:[^\"\\\\]|\\\\.)*)\"");
  std::smatch m;
  return std::regex_search(line, m, re) ? m[1].str() : "";
}

/// The value at the end of a sample line.
std::string value(const std::string& line) { return line.substr(line.rfind(' ') + 1); }

std::set<std::string> pids_in(const std::string& text, const std::string& family) {
  std::set<std::string> out;
  for (const auto& s : samples(text, family)) out.insert(label(s, "pid"));
  return out;
}

bool skip_without_busy_threads() {
  if (!std::string(TORCHDIAG_BUSY_THREADS).empty()) return false;
  WARN("skipped: built without OpenMP, so there is no torchdiag_busy_threads to watch");
  return true;
}

/// `program` (a copy of torchdiag_busy_threads) with an OpenMP team of `threads`,
/// running until the returned object goes, once the team exists.
std::unique_ptr<BackgroundChild> start_busy(int threads, const std::string& program = TORCHDIAG_BUSY_THREADS) {
  auto child = std::make_unique<BackgroundChild>(std::vector<std::string>{program, "120"},
                                                 child_environment({{"OMP_NUM_THREADS", std::to_string(threads)}}));
  REQUIRE(child->error() == "");
  REQUIRE(wait_for_threads(child->pid(), threads, 20));
  return child;
}

/// `torchdiag ARGS`, which must exit 0 with metrics on stdout: the metrics.
std::string metrics_of(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) {
  const auto r = run_torchdiag(args, env, 120);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.signal == 0);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

/// setpriv's path, or "" (with a warning) when it is missing.
std::string setpriv() {
  const auto p = on_path("setpriv");
  if (p.empty()) WARN("setpriv (util-linux) is missing: the checks as user nobody are skipped");
  return p;
}

/// The command line that runs torchdiag ARGS as user nobody through setpriv.
std::vector<std::string> as_nobody(const std::string& setpriv_path, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {setpriv_path, "--reuid=65534", "--regid=65534", "--clear-groups", TORCHDIAG_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

/// torchdiag_busy_threads with a team of 2 run as user nobody (so that nobody may watch
/// it), once the team exists; "" as the pid's text when there is no busy program.
struct NobodyTarget {
  std::unique_ptr<BackgroundChild> child;
  std::string pid;
  explicit NobodyTarget(const std::string& setpriv_path) {
    if (std::string(TORCHDIAG_BUSY_THREADS).empty()) return;
    child = std::make_unique<BackgroundChild>(
        std::vector<std::string>{setpriv_path, "--reuid=65534", "--regid=65534", "--clear-groups",
                                 TORCHDIAG_BUSY_THREADS, "120"},
        child_environment({{"OMP_NUM_THREADS", "2"}}));
    REQUIRE(child->error() == "");
    REQUIRE(wait_for_threads(child->pid(), 2, 20));
    pid = std::to_string(child->pid());
  }
  /// --pid PID, or --all when there is no target.
  std::vector<std::string> selection() const {
    return pid.empty() ? std::vector<std::string>{"--all"} : std::vector<std::string>{"--pid", pid};
  }
};

/// A directory root owns with mode 0755 (so nobody may enter but not write), under a
/// parent nobody may enter.
struct LockedDir {
  TempDir parent;
  std::string path;
  LockedDir() : path(parent / "textfiles") {
    REQUIRE(::chmod(parent.path.c_str(), 0755) == 0);
    REQUIRE(::mkdir(path.c_str(), 0755) == 0);
  }
};

std::set<std::string> entries(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

/// torchdiag `argv` in the background for `run_s`, then SIGTERM: its exit code (-1 when
/// it did not stop within 15 s), stdout and stderr.
struct Stopped {
  int exit_code = -1;
  std::string out, err;
};
Stopped run_then_sigterm(const std::vector<std::string>& argv, double run_s) {
  TempDir logs;
  BackgroundChild child(argv, child_environment({}), nullptr, logs / "out.txt", logs / "err.txt");
  REQUIRE(child.error() == "");
  std::this_thread::sleep_for(std::chrono::duration<double>(run_s));
  REQUIRE(::kill(child.pid(), SIGTERM) == 0);
  Stopped s;
  s.exit_code = child.wait_exit(15);
  s.out = slurp(logs / "out.txt");
  s.err = slurp(logs / "err.txt");
  return s;
}

size_t count_of(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("metrics: the validators are installed", "[cli][metrics]") {
  CHECK_FALSE(promtool().empty());
  require_python_parser();
  // Both refuse broken text, so a pass below means something.
  const auto tool = promtool();
  const std::string broken = "# HELP x h\n# TYPE x gauge\nx{a=\"b} 1\n# EOF\n";
  CHECK_FALSE(run_with_stdin({tool, "check", "metrics"}, broken).ok());
  CHECK_FALSE(run_with_stdin({kPython, "-c", kOpenMetricsCheck}, broken).ok());
  const std::string duplicate = "# HELP x h\n# TYPE x gauge\nx{a=\"b\"} 1\nx{a=\"b\"} 1\n# EOF\n";
  CHECK_FALSE(run_with_stdin({kPython, "-c", kOpenMetricsCheck}, duplicate).ok());
  const std::string no_eof = "# HELP x h\n# TYPE x gauge\nx 1\n";
  CHECK_FALSE(run_with_stdin({kPython, "-c", kOpenMetricsCheck}, no_eof).ok());
}

TEST_CASE("metrics: inspect --no-torch --format openmetrics", "[cli][metrics]") {
  const auto text = metrics_of({"inspect", "--no-torch", "--format", "openmetrics"});
  validate(text);
  const auto build = samples(text, "torchdiag_build_info");
  REQUIRE(build.size() == 1);
  CHECK(label(build[0], "version") == TORCHDIAG_VERSION);
  CHECK(label(build[0], "libtorch") == "");
  REQUIRE(samples(text, "torchdiag_usable_threads").size() == 1);
  CHECK(std::stoi(value(samples(text, "torchdiag_usable_threads")[0])) >= 1);
  REQUIRE(samples(text, "torchdiag_cpu_online").size() == 1);
  CHECK(std::stoi(value(samples(text, "torchdiag_cpu_online")[0])) >= 1);
  CHECK(samples(text, "torchdiag_libtorch_intra_op_threads").empty());
}

TEST_CASE("metrics: inspect --format openmetrics with LibTorch's view", "[cli][metrics]") {
  SECTION("a worker that fails gives no LibTorch family") {
    const auto text = metrics_of({"inspect", "--format", "openmetrics"}, {{"TORCHDIAG_WORKER", "/bin/false"}});
    validate(text);
    CHECK(samples(text, "torchdiag_libtorch_intra_op_threads").empty());
    CHECK(label(samples(text, "torchdiag_build_info").at(0), "libtorch") == "");
  }
  SECTION("the worker") {
    if (!have_worker()) {
      WARN("skipped: built without the LibTorch worker");
      return;
    }
    const auto text =
        metrics_of({"inspect", "--format", "openmetrics"}, {{"OMP_NUM_THREADS", "2"}, {"MKL_NUM_THREADS", ""}});
    validate(text);
    const auto threads = samples(text, "torchdiag_libtorch_intra_op_threads");
    REQUIRE(threads.size() == 1);
    CHECK(value(threads[0]) == "2");
    CHECK_FALSE(label(samples(text, "torchdiag_build_info").at(0), "libtorch").empty());
  }
}

TEST_CASE("metrics: inspect gives one series per finding when two variables are invalid", "[cli][metrics]") {
  // Two env-threads-invalid findings: each must be a series of its own.
  const auto r = run_torchdiag({"inspect", "--no-torch", "--format", "json"},
                               {{"OMP_NUM_THREADS", "many"}, {"MKL_NUM_THREADS", "lots"}});
  REQUIRE(r.exit_code == 0);
  size_t findings = 0;
  const auto report = r.json();
  for (const auto& f : report.at("findings")) findings += f.at("id") == "env-threads-invalid";
  REQUIRE(findings == 2);
  const auto text = metrics_of({"inspect", "--no-torch", "--format", "openmetrics"},
                               {{"OMP_NUM_THREADS", "many"}, {"MKL_NUM_THREADS", "lots"}});
  validate(text);
  std::set<std::string> series;
  for (const auto& s : samples(text, "torchdiag_finding_info")) {
    if (label(s, "id") == "env-threads-invalid") series.insert(s);
  }
  CHECK(series.size() == 2);
}

TEST_CASE("metrics: recommend --format openmetrics (quick)", "[cli][metrics]") {
  const auto text = metrics_of({"recommend", "--quick", "--format", "openmetrics"},
                               {{"OMP_NUM_THREADS", ""}, {"MKL_NUM_THREADS", ""}});
  validate(text);
  const auto info = samples(text, "torchdiag_recommend_info");
  REQUIRE(info.size() == 1);
  CHECK(label(info[0], "mode") == "quick");
  const auto threads = samples(text, "torchdiag_recommended_threads");
  std::set<std::string> variables;
  for (const auto& s : threads) {
    variables.insert(label(s, "variable"));
    CHECK(std::stoi(value(s)) >= 1);
  }
  CHECK(variables.count("OMP_NUM_THREADS") == 1);
  CHECK(variables.count("MKL_NUM_THREADS") == 1);
  const auto usable = samples(text, "torchdiag_usable_threads");
  REQUIRE(usable.size() == 1);
  CHECK(value(threads.at(0)) == value(usable[0]));
}

TEST_CASE("metrics: watch --pid of a busy process --format openmetrics", "[cli][metrics]") {
  if (skip_without_busy_threads()) return;
  const auto busy = start_busy(3);
  const auto pid = std::to_string(busy->pid());
  const auto text = metrics_of({"watch", "--pid", pid, "--duration", "1", "--format", "openmetrics"});
  validate(text);
  CHECK(value(samples(text, "torchdiag_watch_processes").at(0)) == "1");
  CHECK(value(samples(text, "torchdiag_watch_processes_dropped").at(0)) == "0");
  const auto threads = samples(text, "torchdiag_process_threads");
  REQUIRE(threads.size() == 1);
  CHECK(label(threads[0], "pid") == pid);
  CHECK(label(threads[0], "comm") == "torchdiag_busy_");  // /proc/PID/comm keeps 15 bytes
  CHECK_FALSE(label(threads[0], "cgroup").empty());
  CHECK(value(threads[0]) == "3");
  for (const char* family : {"torchdiag_process_pool_threads", "torchdiag_process_usable_threads",
                             "torchdiag_process_runnable_threads", "torchdiag_process_cpus_used",
                             "torchdiag_process_oversubscription_ratio", "torchdiag_process_runqueue_wait_ratio",
                             "torchdiag_process_verdict_info"}) {
    INFO(family);
    CHECK(pids_in(text, family) == std::set<std::string>{pid});
  }
  // The spin share, or why there is none; never both.
  const auto spin = samples(text, "torchdiag_process_spin_ratio").size();
  const auto no_spin = samples(text, "torchdiag_process_spin_unavailable_info");
  CHECK(spin + no_spin.size() == 1);
  if (!no_spin.empty()) CHECK_FALSE(label(no_spin[0], "reason").empty());
  CHECK(samples(text, "torchdiag_cgroup_verdict_info").size() == 1);
  const auto duration = std::stod(value(samples(text, "torchdiag_watch_duration_seconds").at(0)));
  CHECK(duration > 0.5);
  CHECK(duration < 5);
  const auto stamp = std::stod(value(samples(text, "torchdiag_watch_timestamp_seconds").at(0)));
  const auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(stamp > now - 120);
  CHECK(stamp <= now + 1);
  SECTION("--no-spin gives the reason instead of a share") {
    const auto off = metrics_of({"watch", "--pid", pid, "--duration", "0.5", "--no-spin", "--format", "openmetrics"});
    validate(off);
    CHECK(samples(off, "torchdiag_process_spin_ratio").empty());
    REQUIRE(samples(off, "torchdiag_process_spin_unavailable_info").size() == 1);
    CHECK_FALSE(label(samples(off, "torchdiag_process_spin_unavailable_info")[0], "reason").empty());
  }
}

TEST_CASE("metrics: a process name with a double quote and a backslash is escaped", "[cli][metrics]") {
  if (skip_without_busy_threads()) return;
  TempDir dir;
  const auto program = dir / "we\"ird\\x";
  fs::copy_file(TORCHDIAG_BUSY_THREADS, program);
  fs::permissions(program, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
  const auto busy = start_busy(2, program);
  const auto pid = std::to_string(busy->pid());
  std::string comm;
  std::getline(std::ifstream("/proc/" + pid + "/comm"), comm);
  REQUIRE(comm == "we\"ird\\x");
  const auto text = metrics_of({"watch", "--pid", pid, "--duration", "1", "--format", "openmetrics"});
  validate(text);
  CHECK(contains(text, "comm=\"we\\\"ird\\\\x\""));
  for (const auto& s : samples(text, "torchdiag_process_threads")) CHECK(label(s, "comm") == "we\\\"ird\\\\x");
}

TEST_CASE("metrics: watch --every --textfile-dir writes a valid file each round until SIGTERM", "[cli][metrics]") {
  if (skip_without_busy_threads()) return;
  const auto busy = start_busy(2);
  TempDir dir;
  const auto textfiles = dir / "textfiles";
  fs::create_directory(textfiles);
  const auto s = run_then_sigterm({TORCHDIAG_BINARY, "watch", "--all", "--every", "0.5", "--duration", "0.3",
                                   "--textfile-dir", textfiles},
                                  2.0);
  INFO("stdout:\n" << s.out << "\nstderr:\n" << s.err);
  CHECK(s.exit_code == 0);
  CHECK(contains(s.err, "torchdiag: round 1:"));
  CHECK(contains(s.err, "torchdiag: round 2:"));
  CHECK(contains(s.err, "wrote " + textfiles + "/torchdiag.prom"));
  CHECK(contains(s.err, "stopped by signal 15 after round"));
  CHECK_FALSE(contains(s.err, "failed"));
  CHECK(s.out.empty());  // without --format the metrics go only to the file
  CHECK(entries(textfiles) == std::set<std::string>{"torchdiag.prom"});
  const auto file = textfiles + "/torchdiag.prom";
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  const auto text = slurp(file);
  validate(text);
  CHECK(pids_in(text, "torchdiag_process_threads").count(std::to_string(busy->pid())) == 1);
}

TEST_CASE("metrics: watch --every with an unwritable textfile dir warns each round and keeps going",
          "[cli][metrics]") {
  const auto check_rounds = [](const Stopped& s, const std::string& dir) {
    INFO("stdout:\n" << s.out << "\nstderr:\n" << s.err);
    CHECK(s.exit_code == 0);
    CHECK(contains(s.err, "torchdiag: warning: round 1 failed: "));
    CHECK(contains(s.err, "torchdiag: warning: round 2 failed: "));
    CHECK(count_of(s.err, "failed") == count_of(s.err, dir));
    CHECK(contains(s.err, "stopped by signal 15 after round"));
  };
  SECTION("a regular file where the directory should be") {
    TempDir dir;
    dir.write("not-a-dir", "x\n");
    const auto path = dir / "not-a-dir";
    const auto s = run_then_sigterm(
        {TORCHDIAG_BINARY, "watch", "--all", "--every", "0.5", "--duration", "0.3", "--textfile-dir", path}, 2.0);
    check_rounds(s, path);
    CHECK(contains(s.err, "Not a directory"));
    CHECK(slurp(path) == "x\n");
    CHECK(entries(dir.path.string()) == std::set<std::string>{"not-a-dir"});
  }
  SECTION("a directory user nobody may not write") {
    const auto tool = setpriv();
    if (tool.empty()) return;
    const LockedDir locked;
    const NobodyTarget target(tool);
    auto args = target.selection();
    args.insert(args.begin(), "watch");
    for (const auto& a : {"--every", "0.5", "--duration", "0.3", "--textfile-dir"}) args.push_back(a);
    args.push_back(locked.path);
    const auto s = run_then_sigterm(as_nobody(tool, args), 2.0);
    check_rounds(s, locked.path);
    CHECK(contains(s.err, "Permission denied"));
    CHECK(entries(locked.path).empty());
  }
}

TEST_CASE("metrics: watch without --every refuses an unwritable textfile dir before watching", "[cli][metrics]") {
  const auto refused = [](const torchdiag::SpawnResult& r, const std::string& dir) {
    INFO("stdout:\n" << r.stdout_text << "\nstderr:\n" << r.stderr_text);
    CHECK(r.signal == 0);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.stderr_text, "--textfile-dir"));
    CHECK(contains(r.stderr_text, dir));
    CHECK(r.wall_s < 3);  // --duration 5 never started
    CHECK(r.stdout_text.empty());
  };
  const auto run = [](const std::vector<std::string>& argv) {
    torchdiag::SpawnOptions o;
    o.argv = argv;
    o.env = torchdiag::current_environment();
    o.timeout_s = 60;
    return torchdiag::run_process(o);
  };
  const auto with_dir = [](const std::string& dir, std::vector<std::string> selection = {"--all"}) {
    std::vector<std::string> args = {"watch"};
    args.insert(args.end(), selection.begin(), selection.end());
    for (const auto& a : {"--duration", "5", "--format", "openmetrics", "--textfile-dir"}) args.push_back(a);
    args.push_back(dir);
    return args;
  };
  SECTION("a regular file where the directory should be") {
    TempDir dir;
    dir.write("not-a-dir", "x\n");
    std::vector<std::string> argv = {TORCHDIAG_BINARY};
    for (const auto& a : with_dir(dir / "not-a-dir")) argv.push_back(a);
    refused(run(argv), dir / "not-a-dir");
    CHECK(slurp(dir / "not-a-dir") == "x\n");
  }
  SECTION("a directory that does not exist") {
    TempDir dir;
    std::vector<std::string> argv = {TORCHDIAG_BINARY};
    for (const auto& a : with_dir(dir / "missing")) argv.push_back(a);
    refused(run(argv), dir / "missing");
    CHECK_FALSE(fs::exists(dir / "missing"));
  }
  SECTION("a directory user nobody may not write") {
    const auto tool = setpriv();
    if (tool.empty()) return;
    const LockedDir locked;
    const NobodyTarget target(tool);
    refused(run(as_nobody(tool, with_dir(locked.path, target.selection()))), locked.path);
    CHECK(entries(locked.path).empty());
  }
  SECTION("a directory user nobody may not write, holding a torchdiag.prom anyone may write") {
    // The file can be written in place, but the atomic replacement needs a new file in
    // the directory.
    const auto tool = setpriv();
    if (tool.empty()) return;
    const LockedDir locked;
    const NobodyTarget target(tool);
    const auto prom = locked.path + "/torchdiag.prom";
    { std::ofstream(prom) << "# EOF\n"; }
    REQUIRE(::chmod(prom.c_str(), 0666) == 0);
    refused(run(as_nobody(tool, with_dir(locked.path, target.selection()))), locked.path);
    CHECK(slurp(prom) == "# EOF\n");
    CHECK(entries(locked.path) == std::set<std::string>{"torchdiag.prom"});
  }
}

TEST_CASE("metrics: watch --max-series 1 keeps the process with the most threads", "[cli][metrics]") {
  if (skip_without_busy_threads()) return;
  const auto small = start_busy(2);
  const auto big = start_busy(3);
  const auto text = metrics_of({"watch", "--pid", std::to_string(small->pid()), "--pid", std::to_string(big->pid()),
                                "--duration", "1", "--max-series", "1", "--format", "openmetrics"});
  validate(text);
  CHECK(value(samples(text, "torchdiag_watch_processes").at(0)) == "2");
  CHECK(value(samples(text, "torchdiag_watch_processes_dropped").at(0)) == "1");
  const std::set<std::string> kept = {std::to_string(big->pid())};
  for (const char* family : {"torchdiag_process_threads", "torchdiag_process_pool_threads",
                             "torchdiag_process_runnable_threads", "torchdiag_process_verdict_info"}) {
    INFO(family);
    CHECK(pids_in(text, family) == kept);
  }
  CHECK(value(samples(text, "torchdiag_process_threads").at(0)) == "3");
  // Without the cap both are there.
  const auto both = metrics_of({"watch", "--pid", std::to_string(small->pid()), "--pid",
                                std::to_string(big->pid()), "--duration", "0.5", "--format", "openmetrics"});
  CHECK(value(samples(both, "torchdiag_watch_processes_dropped").at(0)) == "0");
  CHECK(pids_in(both, "torchdiag_process_threads").size() == 2);
}

TEST_CASE("metrics: watch --all stays under 200 KB here", "[cli][metrics]") {
  const auto text = metrics_of({"watch", "--all", "--duration", "1", "--format", "openmetrics"});
  validate(text);
  INFO(text.size() << " bytes, " << samples(text, "torchdiag_process_threads").size() << " processes in the metrics");
  CHECK(text.size() < 200 * 1000);
  CHECK(samples(text, "torchdiag_process_threads").size() <= 50);
}
