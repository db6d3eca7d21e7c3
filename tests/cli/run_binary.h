#pragma once
// Runs the real binaries from tests, through torchdiag's own process runner.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "sys/subprocess.h"

namespace torchdiag::test {

/// A temporary directory, removed afterwards.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "torchdiag-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  void write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories((path / name).parent_path());
    std::ofstream(path / name, std::ios::binary) << text;
  }
};

/// The whole content of a file ("" when it cannot be read).
inline std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Run {
  int exit_code = -1;
  int signal = 0;
  std::string out, err;
  nlohmann::json json() const { return nlohmann::json::parse(out); }
};

/// Runs TORCHDIAG_BINARY with `args`; `env` is added to (and overrides) the current
/// environment; names mapped to "" are removed.
inline Run run_torchdiag(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env = {},
                         double timeout_s = 300) {
  SpawnOptions o;
  o.argv = {TORCHDIAG_BINARY};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = current_environment();
  for (const auto& [k, v] : env) {
    if (v.empty()) o.env.erase(k);
    else o.env[k] = v;
  }
  o.timeout_s = timeout_s;
  const auto r = run_process(o);
  return Run{r.exit_code, r.signal, r.stdout_text, r.stderr_text};
}

/// Number of lines in `text` (a trailing newline does not start a new line).
inline size_t line_count(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += c == '\n';
  return n + (!text.empty() && text.back() != '\n');
}

/// True when this build has the LibTorch worker (tests that need it return early otherwise).
inline bool have_worker() { return std::string(TORCHDIAG_WORKER_BINARY).size() > 0; }

/// Short bench runs: these tests check behaviour, not speed.
inline std::vector<std::string> quick(std::vector<std::string> args) {
  for (const char* a : {"--min-time", "0.02", "--repetitions", "2", "--warmup", "1"}) args.push_back(a);
  return args;
}

/// A directory of TorchScript models written once per test binary by make_models.
inline const std::string& models_dir() {
  static const std::string dir = [] {
    const auto d = std::filesystem::temp_directory_path() / ("torchdiag-models-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    const std::string cmd = std::string(TORCHDIAG_MAKE_MODELS) + " " + d.string();
    REQUIRE(std::system(cmd.c_str()) == 0);
    return d.string();
  }();
  return dir;
}

inline std::string model(const char* name) { return models_dir() + "/" + name; }

/// torchdiag started without waiting for it (output discarded), to signal it while it runs.
class Background {
 public:
  explicit Background(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {TORCHDIAG_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      const int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0), ::dup2(null, 1), ::dup2(null, 2);
      std::vector<char*> c;
      for (auto& a : argv) c.push_back(a.data());
      c.push_back(nullptr);
      ::execv(c[0], c.data());
      ::_exit(127);
    }
  }
  ~Background() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  pid_t pid() const { return pid_; }
  /// Sends `sig` and reaps the process.
  void kill_and_reap(int sig) {
    ::kill(pid_, sig);
    ::waitpid(pid_, nullptr, 0);
    reaped_ = true;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

/// The "PPid:" of a process, or -1 when it is gone.
inline pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PPid:", 0) == 0) return static_cast<pid_t>(std::stol(line.substr(5)));
  }
  return -1;
}

/// True while `pid` exists and is not a zombie.
inline bool alive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

/// A child of `parent` named `comm` (as in /proc/PID/comm), waiting up to `timeout_s`; -1 if none.
inline pid_t wait_for_child(pid_t parent, const std::string& comm, double timeout_s) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
      const auto name = e.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      const auto pid = static_cast<pid_t>(std::stol(name));
      std::ifstream in(e.path() / "comm");
      std::string c;
      std::getline(in, c);
      if (c == comm && parent_of(pid) == parent) return pid;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

/// Seconds until `pid` is gone (or a zombie), at most `limit_s`.
inline double seconds_until_gone(pid_t pid, double limit_s) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto since = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  while (alive(pid) && since() < limit_s) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return since();
}

}  // namespace torchdiag::test
