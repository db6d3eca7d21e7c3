// inspect end to end: the LibTorch section from the real worker, --pid against a
// child with a known environment and thread count, degraded paths, bad input.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli/run_binary.h"

using namespace torchdiag::test;
using nlohmann::json;

namespace {


/// A child process that runs until destroyed.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> a, e;
      for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
      for (const auto& s : env) e.push_back(const_cast<char*>(s.c_str()));
      a.push_back(nullptr);
      e.push_back(nullptr);
      ::execve(a[0], a.data(), e.data());
      ::_exit(127);
    }
  }
  ~Child() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  int pid() const { return pid_; }

 private:
  pid_t pid_;
};

}  // namespace

TEST_CASE("inspect reports LibTorch's own view from the worker", "[inspect][worker]") {
  if (!have_worker()) return;
  const auto r = run_torchdiag({"inspect", "--format", "json"}, {{"OMP_NUM_THREADS", "2"}, {"MKL_NUM_THREADS", ""}});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto t = r.json()["torch"];
  REQUIRE(t["available"] == true);
  CHECK(t["version"].get<std::string>().rfind("1.", 0) == 0);
  CHECK(t["backend"] == "OpenMP");
  CHECK(t["intra_op_threads"] == 2);  // LibTorch honours OMP_NUM_THREADS
  CHECK(t["interop_threads"].get<int>() >= 1);
  CHECK(t["openmp_runtime"].get<std::string>().find("libgomp") != std::string::npos);
  CHECK(t["omp_max_threads"] == 2);
  CHECK(t["blas"].is_string());
  CHECK(t["allocator"] == "glibc");
  bool gomp = false;
  for (const auto& p : t["threadpools"]) {
    CHECK(p.contains("library"));
    CHECK(p.contains("path"));
    CHECK(p.contains("threads"));
    gomp = gomp || p["library"] == "libgomp";
  }
  CHECK(gomp);
  const auto one = run_torchdiag({"inspect", "--format", "json"}, {{"OMP_NUM_THREADS", "1"}});
  CHECK(one.json()["torch"]["intra_op_threads"] == 1);
}

TEST_CASE("inspect --verbose prints LibTorch's parallel info and build config", "[inspect][worker]") {
  if (!have_worker()) return;
  const auto r = run_torchdiag({"inspect", "--verbose"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("ATen parallel backend") != std::string::npos);
  CHECK(r.out.find("PyTorch built with") != std::string::npos);
}

TEST_CASE("inspect sees jemalloc when the worker runs with it preloaded", "[inspect][worker]") {
  if (!have_worker()) return;
  const auto plain = run_torchdiag({"inspect", "--format", "json"});
  const auto je = plain.json()["torch"]["jemalloc_path"];
  if (!je.is_string()) {
    WARN("libjemalloc.so.2 is not installed; skipping the preload check");
    return;
  }
  const auto r = run_torchdiag({"inspect", "--format", "json"}, {{"LD_PRELOAD", je.get<std::string>()}});
  CHECK(r.json()["torch"]["allocator"] == "jemalloc");
}

TEST_CASE("a missing or failing worker degrades to an unavailable section", "[inspect]") {
  for (const auto& [worker, reason] : std::vector<std::pair<std::string, std::string>>{
           {"/nonexistent/torchdiag-worker", "not an executable"}, {"/bin/false", "exit status 1"}}) {
    const auto r = run_torchdiag({"inspect", "--format", "json"}, {{"TORCHDIAG_WORKER", worker}});
    INFO(worker << ": " << r.err);
    REQUIRE(r.exit_code == 0);
    const auto j = r.json();
    CHECK(j["torch"]["available"] == false);
    CHECK(j["torch"]["reason"].get<std::string>().find(reason) != std::string::npos);
    CHECK(j["cpu"]["usable_threads"].get<int>() >= 1);  // the CPU part is still there
  }
  const auto text = run_torchdiag({"inspect"}, {{"TORCHDIAG_WORKER", "/bin/false"}});
  CHECK(text.out.find("online") != std::string::npos);
  CHECK(text.out.find("unavailable") != std::string::npos);
}

TEST_CASE("inspect --no-torch has no torch section and starts no worker", "[inspect]") {
  const auto r = run_torchdiag({"inspect", "--no-torch", "--format", "json"},
                               {{"TORCHDIAG_WORKER", "/bin/false"}});
  REQUIRE(r.exit_code == 0);
  const auto j = r.json();
  CHECK(j["schema"] == "torchdiag.inspect/1");
  CHECK_FALSE(j.contains("torch"));
  for (const char* key : {"online", "affinity", "physical_cores", "cgroup_version", "quota_cpus", "quota_source",
                          "allowed_cpus", "usable_threads"}) {
    INFO(key);
    CHECK(j["cpu"].contains(key));
  }
  CHECK(j["env"].is_object());
  CHECK(j["findings"].is_array());
}

TEST_CASE("inspect --pid reads another process: environment, threads, libraries", "[inspect]") {
  Child child({"/usr/bin/python3", "-c",
               "import threading,time\n"
               "for _ in range(3): threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
               "time.sleep(60)\n"},
              {"OMP_NUM_THREADS=3", "MKL_NUM_THREADS=5", "SECRET_TOKEN=x", "PATH=/usr/bin:/bin"});
  json j;
  for (int attempt = 0; attempt < 50; ++attempt) {  // wait until its threads exist
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto r = run_torchdiag({"inspect", "--pid", std::to_string(child.pid()), "--format", "json"});
    REQUIRE(r.exit_code == 0);
    j = r.json();
    if (j["process"]["thread_count"] == 4) break;
  }
  CHECK(j["pid"] == child.pid());
  CHECK(j["process"]["thread_count"] == 4);
  CHECK(j["process"]["threads"].size() == 4);
  CHECK(j["process"]["comm"].get<std::string>().find("python") != std::string::npos);
  CHECK(j["env"]["OMP_NUM_THREADS"] == "3");
  CHECK(j["env"]["MKL_NUM_THREADS"] == "5");
  CHECK_FALSE(j["env"].contains("SECRET_TOKEN"));  // only thread-related variables
  CHECK(j["process"]["allocator"] == "glibc");
  bool disagree = false;
  for (const auto& f : j["findings"]) disagree = disagree || f["id"] == "mkl-omp-disagree";
  CHECK(disagree);
  CHECK(j["torch"]["available"] == false);
}

TEST_CASE("inspect --pid with a process that does not exist is a usage error", "[inspect]") {
  const auto r = run_torchdiag({"inspect", "--pid", "999999999"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "torchdiag: error: --pid 999999999: no such process\n");
  CHECK(run_torchdiag({"inspect", "--pid", "-4"}).exit_code == 2);
}

TEST_CASE("inspect --check exits 3 on a warning finding and 0 without", "[inspect]") {
  const auto bad = run_torchdiag({"inspect", "--no-torch", "--check", "--format", "json"},
                                 {{"OMP_NUM_THREADS", "512"}});
  CHECK(bad.exit_code == 3);
  const auto f = bad.json()["findings"][0];
  CHECK(f["id"] == "env-threads-exceed-usable");
  CHECK(f["severity"] == "critical");
  CHECK(f["fix"].get<std::string>().find("OMP_NUM_THREADS=") != std::string::npos);
  const auto good = run_torchdiag({"inspect", "--no-torch", "--check"}, {{"OMP_NUM_THREADS", "1"}, {"MKL_NUM_THREADS", ""}});
  CHECK(good.exit_code == 0);
}

TEST_CASE("inspect bad input: root, format, option", "[inspect]") {
  auto r = run_torchdiag({"inspect", "--root", "/nonexistent-root"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "torchdiag: error: --root '/nonexistent-root': no such directory\n");
  r = run_torchdiag({"inspect", "--root", "/etc/hostname"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("not a directory") != std::string::npos);
  r = run_torchdiag({"inspect", "--format", "yaml"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--format 'yaml'") != std::string::npos);
  r = run_torchdiag({"inspect", "--bogus"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.rfind("torchdiag: error: ", 0) == 0);
  r = run_torchdiag({"inspct"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("did you mean 'inspect'") != std::string::npos);
}

TEST_CASE("option typos and format abbreviations get a guess", "[inspect][cli]") {
  auto r = run_torchdiag({"bench", "--formt", "json"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.rfind("torchdiag: error: unknown option '--formt' for bench; did you mean '--format'?\n", 0) == 0);
  r = run_torchdiag({"inspect", "--no-troch"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("did you mean '--no-torch'?") != std::string::npos);
  r = run_torchdiag({"bench", "--format", "md"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--format 'md': unknown format (expected text, json, csv or markdown); did you mean 'markdown'?") !=
        std::string::npos);
  r = run_torchdiag({"inspect", "--format", "csv"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--format 'csv': inspect does not support it (expected text, json or openmetrics)") !=
        std::string::npos);
  // After --exec --, the words are the command's own: never taken for torchdiag options.
  r = run_torchdiag({"recommend", "--exec", "--", "/bin/true", "--formt"});
  CHECK(r.exit_code == 0);
}

TEST_CASE("snapshot captures what inspect reads and inspect --root reproduces it", "[inspect][snapshot]") {
  const auto dir = "/tmp/torchdiag-snap-" + std::to_string(::getpid());
  const auto snap = run_torchdiag({"snapshot", dir}, {{"OMP_NUM_THREADS", "1"}, {"API_KEY", "hunter2"}});
  REQUIRE(snap.exit_code == 0);
  const auto live = run_torchdiag({"inspect", "--no-torch", "--format", "json"}, {{"OMP_NUM_THREADS", "1"}});
  const auto replay = run_torchdiag({"inspect", "--root", dir, "--format", "json"});
  REQUIRE(replay.exit_code == 0);
  auto a = live.json(), b = replay.json();
  CHECK(b["root"] == dir);
  CHECK(a["cpu"] == b["cpu"]);
  CHECK(a["cgroup"]["version"] == b["cgroup"]["version"]);
  CHECK(a["cgroup"]["dir"] == b["cgroup"]["dir"]);
  CHECK(a["cgroup"]["cpuset"] == b["cgroup"]["cpuset"]);
  CHECK(b["env"]["OMP_NUM_THREADS"] == "1");
  CHECK_FALSE(b["env"].contains("API_KEY"));
  CHECK(b["torch"]["available"] == false);  // a snapshot has no LibTorch to ask
  // A second snapshot into the same non-empty directory needs --force.
  CHECK(run_torchdiag({"snapshot", dir}).exit_code == 2);
  CHECK(run_torchdiag({"snapshot", "--force", dir}).exit_code == 0);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("inspect --pid reports the target's own seccomp and speculation lines", "[inspect]") {
  // The child installs an allow-everything seccomp filter, so its Seccomp line (2) differs
  // from torchdiag's own (0 here).
  Child child({"/usr/bin/python3", "-c",
               "import ctypes, struct, time\n"
               "libc = ctypes.CDLL(None, use_errno=True)\n"
               "insn = ctypes.create_string_buffer(struct.pack('HBBI', 0x06, 0, 0, 0x7fff0000))\n"
               "class Prog(ctypes.Structure):\n"
               "    _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]\n"
               "prog = Prog(1, ctypes.cast(insn, ctypes.c_void_p))\n"
               "libc.prctl(38, 1, 0, 0, 0)\n"
               "assert libc.prctl(22, 2, ctypes.byref(prog), 0, 0) == 0, ctypes.get_errno()\n"
               "time.sleep(60)\n"},
              {"PATH=/usr/bin:/bin"});
  json j;
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto r = run_torchdiag({"inspect", "--pid", std::to_string(child.pid()), "--format", "json", "--no-torch"});
    REQUIRE(r.exit_code == 0);
    j = r.json();
    if (j["node"]["process"]["seccomp_mode"] == 2) break;
  }
  CHECK(j["node"]["process"]["seccomp_mode"] == 2);
  const auto own = run_torchdiag({"inspect", "--no-torch", "--format", "json"}).json();
  CHECK(own["node"]["process"]["seccomp_mode"] == 0);
  // The speculation line is the target's too (this kernel reports one for every process).
  CHECK(j["node"]["process"]["speculation_store_bypass"].is_string());
}
