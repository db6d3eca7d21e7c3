// `torchdiag watch` from the command line: refused selections and options, targets that
// exit or cannot be read, Ctrl-C, --no-spin and --plot. No cgroup is needed.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/run_binary.h"
#include "integration/quota_cgroup.h"

using nlohmann::json;
using namespace torchdiag::test;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// A process of this user to watch, running for `seconds` unless killed first: an
/// OpenMP team of `threads` busy threads, or `sleep` in a build without OpenMP.
std::unique_ptr<BackgroundChild> start_target(int threads, int seconds) {
  const bool busy = !std::string(TORCHDIAG_BUSY_THREADS).empty();
  std::vector<std::string> args = {busy ? TORCHDIAG_BUSY_THREADS : "/bin/sleep", std::to_string(seconds)};
  auto child = std::make_unique<BackgroundChild>(args,
                                                 child_environment({{"OMP_NUM_THREADS", std::to_string(threads)}}));
  REQUIRE(child->error() == "");
  REQUIRE(wait_for_threads(child->pid(), busy ? threads : 1, 20));
  return child;
}

/// `torchdiag watch ARGS`, expected to be refused as a usage error: its stderr.
std::string refused(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"watch"};
  all.insert(all.end(), args.begin(), args.end());
  const auto r = run_torchdiag(all, {}, 30);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  return r.err;
}

/// Parsed `watch --format json` output with one process, `pid`; its entry.
json only_process(const json& report, pid_t pid) {
  REQUIRE(report.is_object());
  CHECK(report.at("schema") == "torchdiag.watch/1");
  REQUIRE(report.at("processes").size() == 1);
  const auto& p = report.at("processes")[0];
  CHECK(p.at("pid") == pid);
  return p;
}

/// The highest PID below pid_max that names no process right now.
pid_t unused_pid() {
  long max = 32768;
  std::ifstream("/proc/sys/kernel/pid_max") >> max;
  for (auto pid = static_cast<pid_t>(max - 1); pid > 1; --pid) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return pid;
  }
  FAIL("no free PID below pid_max");
  return -1;
}

std::string self() { return std::to_string(::getpid()); }

}  // namespace

TEST_CASE("watch refuses a PID that does not exist", "[cli][watch]") {
  const auto pid = std::to_string(unused_pid());
  const auto err = refused({"--pid", pid, "--duration", "1"});
  CHECK(contains(err, pid));
  CHECK(contains(err, "no such process"));
}

TEST_CASE("watch refuses a kernel thread", "[cli][watch]") {
  std::string comm;
  std::getline(std::ifstream("/proc/2/comm"), comm);
  if (comm != "kthreadd") {
    WARN("skipped: PID 2 is not kthreadd here (a PID namespace?)");
    return;
  }
  const auto err = refused({"--pid", "2", "--duration", "1"});
  CHECK(contains(err, "--pid 2"));
  CHECK(contains(err, "kernel thread"));
}

TEST_CASE("watch refuses bad durations, intervals, selections and patterns", "[cli][watch]") {
  SECTION("--duration 0") { CHECK(contains(refused({"--pid", self(), "--duration", "0"}), "--duration")); }
  SECTION("--interval longer than --duration") {
    const auto err = refused({"--pid", self(), "--duration", "1", "--interval", "2"});
    CHECK(contains(err, "--interval"));
    CHECK(contains(err, "--duration"));
  }
  SECTION("no selection") { CHECK(contains(refused({"--duration", "1"}), "--pid")); }
  SECTION("an invalid --match regex") {
    const auto err = refused({"--match", "(", "--duration", "1"});
    CHECK(contains(err, "--match"));
    CHECK(contains(err, "regular expression"));
  }
}

TEST_CASE("watch reports a target that exits mid-watch", "[cli][watch]") {
  // Not reaped until the end of the test: the target is a zombie once it exits.
  BackgroundChild sleeper({"/bin/sleep", "1"}, child_environment({}));
  REQUIRE(sleeper.error() == "");
  const auto r = run_torchdiag({"watch", "--pid", std::to_string(sleeper.pid()), "--duration", "3", "--interval",
                                "0.5", "--format", "json"},
                               {}, 60);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  const auto p = only_process(json::parse(r.out, nullptr, false), sleeper.pid());
  CHECK(p.at("exited") == true);
  CHECK(p.at("comm") == "sleep");
  // Six intervals were asked for; the target was gone before the last ones.
  CHECK(p.at("timeline").size() < 6);
  CHECK(p.at("observed_s").get<double>() < 3);
  const std::set<std::string> seen_as = {"idle", "exited"};
  CHECK(seen_as.count(p.at("verdict").get<std::string>()) == 1);
  CHECK(!p.at("verdict_reason").get<std::string>().empty());
  CHECK(sleeper.wait_exit(10) == 0);
}

TEST_CASE("watch interrupted by SIGINT still prints a complete report", "[cli][watch]") {
  const auto target = start_target(2, 60);
  TempDir dir;
  BackgroundChild watch({TORCHDIAG_BINARY, "watch", "--pid", std::to_string(target->pid()), "--duration", "30",
                         "--interval", "0.5", "--format", "json"},
                        child_environment({}), nullptr, dir / "out.json", dir / "err.txt");
  REQUIRE(watch.error() == "");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  REQUIRE(::kill(watch.pid(), SIGINT) == 0);
  // It ends within the current sampling step; 10 s only bounds a hang.
  const int code = watch.wait_exit(10);
  const auto out = slurp(dir / "out.json");
  INFO("stdout:\n" << out << "\nstderr:\n" << slurp(dir / "err.txt"));
  REQUIRE(code == 0);
  const auto report = json::parse(out, nullptr, false);
  const auto p = only_process(report, target->pid());
  CHECK(report.at("interrupted") == true);
  CHECK(report.at("observed_s").get<double>() > 0);
  CHECK(report.at("observed_s").get<double>() < 30);
  CHECK(p.at("exited") == false);
  CHECK(!p.at("timeline").empty());
  CHECK(p.at("verdict").is_string());
  CHECK(report.at("findings").is_array());
  CHECK(report.at("cgroups").size() == 1);
}

TEST_CASE("watch run by another user reports what it could not read", "[cli][watch]") {
  if (::geteuid() != 0 || ::access("/usr/bin/setpriv", X_OK) != 0) {
    WARN("skipped: needs root and /usr/bin/setpriv to run watch as user nobody");
    return;
  }
  const auto as_nobody = [](std::vector<std::string> args) {
    torchdiag::SpawnOptions o;
    o.argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", TORCHDIAG_BINARY};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = torchdiag::current_environment();
    o.timeout_s = 60;
    return torchdiag::run_process(o);
  };
  if (!as_nobody({"--version"}).ok()) {
    WARN("skipped: user nobody cannot run " << TORCHDIAG_BINARY);
    return;
  }
  const auto target = start_target(2, 60);
  const auto r = as_nobody({"watch", "--pid", std::to_string(target->pid()), "--duration", "1", "--interval", "0.5",
                            "--format", "json"});
  INFO("stdout:\n" << r.stdout_text << "\nstderr:\n" << r.stderr_text);
  REQUIRE(r.signal == 0);
  REQUIRE(r.exit_code == 0);
  const auto p = only_process(json::parse(r.stdout_text, nullptr, false), target->pid());
  bool maps_note = false, env_note = false;
  for (const auto& n : p.at("notes")) {
    maps_note = maps_note || contains(n.get<std::string>(), "/maps");
    env_note = env_note || contains(n.get<std::string>(), "environment");
  }
  CHECK(maps_note);
  CHECK(env_note);
  CHECK(p.at("env_error").is_string());
  // perf_event_open on another user's process is refused; the reason says so.
  CHECK(p.at("spin_fraction").is_null());
  REQUIRE(p.at("spin_reason").is_string());
  CHECK(!p.at("spin_reason").get<std::string>().empty());
  // Its threads are still in /proc for everyone.
  CHECK(p.at("threads").get<int>() >= 1);
  CHECK(!p.at("timeline").empty());
}

TEST_CASE("watch --no-spin leaves the spin share out and says why", "[cli][watch]") {
  const auto target = start_target(2, 60);
  const auto r = run_torchdiag({"watch", "--pid", std::to_string(target->pid()), "--no-spin", "--duration", "1",
                                "--interval", "0.5", "--format", "json"},
                               {}, 60);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  const auto p = only_process(json::parse(r.out, nullptr, false), target->pid());
  CHECK(p.at("spin_fraction").is_null());
  REQUIRE(p.at("spin_reason").is_string());
  CHECK(contains(p.at("spin_reason").get<std::string>(), "--no-spin"));
  CHECK(p.at("spin_samples") == 0);
}

TEST_CASE("watch --plot writes an SVG with one panel per process", "[cli][watch]") {
  const auto first = start_target(2, 60);
  const auto second = start_target(1, 60);
  TempDir dir;
  const auto svg_path = dir / "watch.svg";
  const auto r = run_torchdiag({"watch", "--pid", std::to_string(first->pid()), "--pid", std::to_string(second->pid()),
                                "--duration", "1", "--interval", "0.5", "--format", "json", "--plot", svg_path},
                               {}, 60);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  const auto svg = slurp(svg_path);
  INFO(svg);
  REQUIRE(contains(svg, "<svg"));
  CHECK(contains(svg, "</svg>"));
  // Every group that plots a process is a panel.
  const std::regex group("<g [^>]*data-pid=\"([0-9]+)\"[^>]*>");
  std::set<int> plotted;
  int groups = 0;
  for (std::sregex_iterator it(svg.begin(), svg.end(), group), end; it != end; ++it) {
    ++groups;
    CHECK(contains(it->str(), "class=\"panel\""));
    plotted.insert(std::stoi((*it)[1].str()));
  }
  CHECK(groups == 2);
  CHECK(plotted == std::set<int>{first->pid(), second->pid()});
  size_t panels = 0;
  for (size_t at = svg.find("class=\"panel\""); at != std::string::npos; at = svg.find("class=\"panel\"", at + 1)) {
    ++panels;
  }
  CHECK(panels == 2);
  if (std::system("command -v rsvg-convert >/dev/null 2>&1") != 0) {
    WARN("rsvg-convert is not installed: the SVG was not rendered");
    return;
  }
  const auto png = dir / "watch.png";
  const auto render = "rsvg-convert -o '" + png + "' '" + svg_path + "' 2>'" + (dir / "rsvg.err") + "'";
  const int rendered = std::system(render.c_str());
  INFO("rsvg-convert: " << slurp(dir / "rsvg.err"));
  CHECK(rendered == 0);
  CHECK(fs::exists(png));
  CHECK(fs::file_size(png) > 0);
}
