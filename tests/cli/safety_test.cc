// torchdiag runs as root in production: hostile snapshots, links, FIFOs, odd bytes,
// odd arguments, killed parents and full disks must never cost a crash, a hang, an
// orphan worker, a lost result or a read or write outside the paths given.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/run_binary.h"
#include "util/strings.h"

using namespace torchdiag::test;
namespace fs = std::filesystem;

namespace {

bool valid_utf8(const std::string& s) { return torchdiag::sanitize_utf8(s) == s; }

}  // namespace

TEST_CASE("snapshot --force never writes through a planted link", "[safety][snapshot]") {
  TempDir d;
  d.write("victim", "untouched");
  fs::create_directories(d.path / "s/proc/self");
  fs::create_symlink(d / "victim", d.path / "s/proc/self/status");
  const auto refused = run_torchdiag({"snapshot", d / "s"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("not empty (use --force)") != std::string::npos);
  const auto r = run_torchdiag({"snapshot", "--force", d / "s"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(slurp(d / "victim") == "untouched");
  CHECK_FALSE(fs::is_symlink(d.path / "s/proc/self/status"));
  CHECK(slurp(d / "s/proc/self/status").find("Cpus_allowed_list") != std::string::npos);
  fs::create_directory_symlink(d / "s", d.path / "link");
  const auto linked = run_torchdiag({"snapshot", d / "link"});
  CHECK(linked.exit_code == 2);
  CHECK(linked.err.find("symbolic link") != std::string::npos);
}

TEST_CASE("inspect --root never shows a byte from outside the root", "[safety][root]") {
  TempDir outside, d;
  outside.write("status", "Name:\tSECRET-STATUS\nCpus_allowed_list:\t0-3\n");
  outside.write("cpu.max", "77777 100000\n");
  const auto name = outside.path.filename().string();
  d.write("r/proc/self/cgroup", "0::/\n");
  d.write("r/proc/self/mountinfo", "30 24 0:26 / /../" + name + " rw - cgroup2 cgroup2 rw\n");
  fs::create_directories(d.path / "r/proc/self");
  fs::create_symlink(outside / "status", d.path / "r/proc/self/status");
  fs::create_symlink("../../../" + name + "/cpu.max", d.path / "r/proc/self/environ");
  for (const char* format : {"text", "json"}) {
    const auto r = run_torchdiag({"inspect", "--no-torch", "--root", d / "r", "--format", format});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK((r.out + r.err).find("SECRET") == std::string::npos);
    CHECK((r.out + r.err).find("77777") == std::string::npos);
    CHECK((r.out + r.err).find("0.78") == std::string::npos);
  }
}

TEST_CASE("a hostile CPU list is malformed at once, not 2 GB and 12 s of work", "[safety][root]") {
  TempDir d;
  std::string list;
  for (int i = 0; i < 300; ++i) list += "0-1048576,";
  d.write("r/proc/self/status", "Name:\tx\nCpus_allowed_list:\t" + list + "\n");
  d.write("r/proc/self/cgroup", "0::/\n");
  d.write("r/sys/devices/system/cpu/online", list + "\n");
  const auto r = run_torchdiag({"inspect", "--no-torch", "--root", d / "r", "--format", "json"}, {}, 30);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = r.json();
  CHECK(j["cpu"]["affinity"].is_null());
  CHECK(j["cpu"]["online"].is_null());
}

TEST_CASE("odd arguments are usage errors", "[safety][cli]") {
  const std::vector<std::vector<std::string>> cases = {
      {"inspect", "--pid", "0"},          {"inspect", "--pid", "-5"},
      {"inspect", "--root", ""},          {"recommend", "--root", ""},
      {"inspect", "-o", ""},              {"bench", "--duration", "nan"},
      {"bench", "--duration", "inf"},     {"bench", "--timeout", "inf"},
      {"bench", "--timeout", "nan"},      {"bench", "--min-time", "nan"},
      {"recommend", "--measure", "--budget", "inf"}, {"bench", "--model", ""},
      {"bench", "--plot", "/nonexistent-dir/x.svg"}, {"bench", "-o", "/nonexistent-dir/x.json"},
      {"bench", "-o", "/tmp"}};
  for (const auto& args : cases) {
    const auto r = run_torchdiag(args, {}, 20);
    INFO(fs::path(args[0]).string() << " " << args[1] << " " << args.back() << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind("torchdiag: error: ", 0) == 0);
    CHECK(r.out.empty());
  }
}

TEST_CASE("a report that cannot be written fails loudly", "[safety][output]") {
  // Through a shell, so that stdout itself can be /dev/full or closed.
  const std::string bin = TORCHDIAG_BINARY;
  const auto status = [&](const std::string& redirect) {
    const std::string cmd = bin + " inspect --no-torch " + redirect + " 2>/dev/null";
    const int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  };
  CHECK(status(">/dev/full") == 1);
  CHECK(status(">&-") == 1);
  CHECK(status("-o /dev/full") == 1);
  const auto r = run_torchdiag({"recommend", "--format", "env", "-o", "/dev/full"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("cannot write '/dev/full': No space left on device") != std::string::npos);
  TempDir d;
  const auto ro = run_torchdiag({"inspect", "--no-torch", "-o", d / "missing/dir/out.txt"});
  CHECK(ro.exit_code == 2);
  CHECK(ro.err.find("does not exist") != std::string::npos);
}

TEST_CASE("a sweep's results survive an unwritable output or plot", "[safety][output][worker]") {
  if (!have_worker()) return;
  const auto plot = run_torchdiag(quick({"bench", "--workload", "index_select", "--threads", "1", "--format", "json",
                                         "--rows", "100", "--indices", "100", "--plot", "/dev/full"}));
  CHECK(plot.exit_code == 1);
  CHECK(plot.err.find("cannot write '/dev/full'") != std::string::npos);
  CHECK(plot.json()["results"].size() == 1);  // the report came first, whole
  const auto out = run_torchdiag(quick({"bench", "--workload", "index_select", "--threads", "1", "--format", "json",
                                        "--rows", "100", "--indices", "100", "-o", "/dev/full"}));
  CHECK(out.exit_code == 1);
  CHECK(out.err.find("cannot write '/dev/full'") != std::string::npos);
  CHECK(out.json()["results"].size() == 1);  // on stdout instead
}

TEST_CASE("invalid UTF-8 anywhere still gives valid output in every format", "[safety][utf8][worker]") {
  const std::map<std::string, std::string> env = {{"OMP_NUM_THREADS", "4\xff\xfe"}, {"MKL_NUM_THREADS", "\xc3"}};
  const auto inspect = run_torchdiag({"inspect", "--no-torch", "--format", "json"}, env);
  REQUIRE(inspect.exit_code == 0);
  CHECK(inspect.json()["env"]["OMP_NUM_THREADS"] == "4\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(valid_utf8(run_torchdiag({"inspect", "--no-torch"}, env).out));
  for (const char* f : {"json", "shell", "env", "docker", "k8s", "systemd", "text"}) {
    const auto r = run_torchdiag({"recommend", "--format", f}, env);
    INFO(f);
    CHECK(r.exit_code == 0);
    CHECK(valid_utf8(r.out));
  }
  if (!have_worker()) return;
  TempDir d;
  const auto odd = d / "model-\xff\xfe.pt";
  fs::copy_file(model("single.pt"), odd);
  for (const char* f : {"json", "csv", "markdown", "text"}) {
    const auto r = run_torchdiag(quick({"bench", "--workload", "forward", "--threads", "1", "--model", odd, "--input",
                                        "4x16", "--format", f, "--plot", d / "plot.svg"}),
                                 env);
    INFO(f << ": " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(valid_utf8(r.out));
    CHECK(valid_utf8(slurp(d / "plot.svg")));
    if (std::string(f) == "json") CHECK(r.json()["results"][0]["model"].get<std::string>().find("model-\xEF\xBF\xBD") != std::string::npos);
  }
}

TEST_CASE("a model that is not a regular file is refused before any worker starts", "[safety][model]") {
  TempDir d;
  const auto fifo = d / "model.pt";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);  // opening it for reading would wait forever
  for (const auto& path : {fifo, std::string("/dev/zero"), d.path.string()}) {
    const auto bench = run_torchdiag({"bench", "--model", path, "--input", "4x16"}, {}, 20);
    INFO(path << ": " << bench.err);
    CHECK(bench.exit_code == 2);
    CHECK(bench.err.find("not a regular file") != std::string::npos);
    const auto rec = run_torchdiag({"recommend", "--measure", "--model", path, "--input", "4x16"}, {}, 20);
    CHECK(rec.exit_code == 2);
    CHECK(rec.err.find("not a regular file") != std::string::npos);
  }
}

TEST_CASE("a failed row keeps the real reason the model gave", "[safety][model][worker]") {
  if (!have_worker()) return;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"raises.pt", "AssertionError: the model refuses: custom reason 42"},
      {"huge_alloc.pt", "you tried to allocate 281474976710656 bytes"},
  };
  for (const auto& [name, reason] : cases) {
    for (const char* f : {"json", "csv", "text"}) {
      const auto r = run_torchdiag(quick({"bench", "--workload", "forward", "--threads", "1", "--model",
                                          model(name.c_str()), "--input", "4x16", "--format", f}));
      INFO(name << " " << f << ": " << r.out);
      CHECK(r.exit_code == 1);
      CHECK(r.out.find(reason) != std::string::npos);
      CHECK(r.out.find("The following operation failed") == std::string::npos);
    }
  }
  const auto shape = run_torchdiag(quick({"bench", "--workload", "forward", "--threads", "1", "--model",
                                          model("single.pt"), "--input", "4x17", "--format", "json"}));
  CHECK(shape.json()["results"][0]["error"].get<std::string>().find("(4x17 and 16x8)") != std::string::npos);
}

TEST_CASE("recommend --measure --budget is a deadline, even for a model that never returns", "[safety][worker]") {
  if (!have_worker()) return;
  // The test's own limit (30 s) is far above the 3 s budget; before the deadline existed
  // the first configuration alone was allowed 4 x budget + 60 s.
  const auto r = run_torchdiag({"recommend", "--measure", "--budget", "3", "--model", model("loops.pt"), "--input",
                                "4x16", "--format", "env"},
                               {}, 30);
  INFO(r.err);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("OMP_NUM_THREADS=") != std::string::npos);  // the safe answer
  CHECK(r.err.find("deadline") != std::string::npos);
}

TEST_CASE("workers die with torchdiag, whatever signal ends it", "[safety][signals][worker]") {
  if (!have_worker()) return;
  const std::vector<std::string> bench = {"bench", "--workload", "forward", "--threads", "1", "--model",
                                          model("loops.pt"), "--input", "4x16"};
  const std::vector<std::string> measure = {"recommend", "--measure", "--budget", "600", "--model",
                                            model("loops.pt"), "--input", "4x16"};
  for (const auto& args : {bench, measure}) {
    for (const int sig : {SIGTERM, SIGINT, SIGHUP, SIGKILL}) {
      Background td(args);
      const auto worker = wait_for_child(td.pid(), "torchdiag-worke", 30);
      INFO(args[0] << " signal " << sig);
      REQUIRE(worker > 0);
      td.kill_and_reap(sig);
      CHECK(seconds_until_gone(worker, 5) < 5);
      CHECK_FALSE(alive(worker));
    }
  }
}

TEST_CASE("a worker killed by someone else's SIGKILL is not called an OOM kill", "[safety][worker]") {
  if (!have_worker()) return;
  TempDir d;
  const auto out = d / "report.json";
  Background td({"bench", "--workload", "forward", "--threads", "1", "--model", model("loops.pt"), "--input", "4x16",
                 "--format", "json", "-o", out});
  const auto worker = wait_for_child(td.pid(), "torchdiag-worke", 30);
  REQUIRE(worker > 0);
  ::kill(worker, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(td.pid(), &status, 0) == td.pid());
  const auto j = nlohmann::json::parse(slurp(out));
  const auto error = j["results"][0]["error"].get<std::string>();
  CHECK(error.find("killed by signal 9") != std::string::npos);
  CHECK(error.find("out-of-memory") == std::string::npos);
}
