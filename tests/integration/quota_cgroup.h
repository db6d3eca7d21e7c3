#pragma once
// A real cgroup v1 CPU quota for integration tests, and ways to run a child inside it
// (to completion, or in the background while something watches it).
// Needs root and a writable cgroup v1 `cpu` hierarchy at /sys/fs/cgroup/cpu (the CI
// machine has one); skip_without_cgroup_v1_cpu() says why not elsewhere.

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>


#include <catch2/catch.hpp>

#include "model/env_facts.h"

extern char** environ;

namespace torchdiag::test {


inline const std::string kCpuHierarchy = "/sys/fs/cgroup/cpu";
constexpr long kPeriodUs = 100000;
constexpr int kChildTimeoutMs = 30000;  ///< default limit of a child in the cgroup

inline std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

/// "" when cgroups with `probe_file` can be created under the v1 `hierarchy` here, else
/// the reason why not.
inline std::string why_no_cgroup_v1(const std::string& hierarchy, const std::string& probe_file) {
  if (::geteuid() != 0) return "not running as root";
  struct statfs st {};
  if (::statfs(hierarchy.c_str(), &st) != 0) return errno_text(hierarchy);
  if (st.f_type != CGROUP_SUPER_MAGIC) return hierarchy + " is not a cgroup v1 mount";
  if (::access((hierarchy + "/" + probe_file).c_str(), F_OK) != 0) return "no " + probe_file + " in " + hierarchy;
  if (::access(hierarchy.c_str(), W_OK) != 0) return hierarchy + " is not writable";
  return "";
}

inline std::string why_no_cgroup_v1_cpu() { return why_no_cgroup_v1(kCpuHierarchy, "cpu.cfs_quota_us"); }

/// True (after a WARN saying why) when this machine cannot run the test.
inline bool skip_without_cgroup_v1_cpu() {
  const auto why = why_no_cgroup_v1_cpu();
  if (why.empty()) return false;
  WARN("skipped: cannot create cgroup v1 CPU quotas here (" << why << "); these tests need root "
                                                             "and a writable " << kCpuHierarchy);
  return true;
}

/// "" on success, else what failed.
inline std::string write_file(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno_text("open " + path);
  const auto n = ::write(fd, text.data(), text.size());
  const std::string error =
      n == static_cast<ssize_t>(text.size()) ? "" : errno_text("write '" + text + "' to " + path);
  ::close(fd);
  return error;
}

/// A cgroup v1 directory under `hierarchy` with the given files written; removed again on
/// destruction, also when a check failed. Only children join it, so it is empty once
/// they have been reaped.
class TestCgroup {
 public:
  TestCgroup(const std::string& hierarchy, const std::vector<std::pair<std::string, std::string>>& files)
      : name_(unique_name()), dir_(hierarchy + "/" + name_) {
    if (::mkdir(dir_.c_str(), 0755) != 0) {
      error_ = errno_text("mkdir " + dir_);
      return;
    }
    created_ = true;
    for (const auto& [file, value] : files) {
      if (error_.empty()) error_ = write_file(dir_ + "/" + file, value);
    }
  }
  ~TestCgroup() {
    if (!created_) return;
    // A reaped child can linger in the group for a moment: retry EBUSY for up to a second.
    for (int i = 0; i < 100; ++i) {
      if (::rmdir(dir_.c_str()) == 0 || errno != EBUSY) return;
      ::usleep(10000);
    }
    std::fprintf(stderr, "warning: could not remove %s: %s\n", dir_.c_str(), std::strerror(errno));
  }
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;

  const std::string& name() const { return name_; }
  const std::string& dir() const { return dir_; }
  const std::string& error() const { return error_; }  ///< "" when every file was written

 private:
  static std::string unique_name() {
    static int count = 0;  // per test binary; the pid keeps runs apart
    return "torchdiag-test-" + std::to_string(::getpid()) + "-" + std::to_string(++count);
  }
  std::string name_;
  std::string dir_;
  std::string error_;
  bool created_ = false;
};

/// A cgroup v1 cpu directory with a CFS quota.
class QuotaCgroup : public TestCgroup {
 public:
  QuotaCgroup(long quota_us, long period_us)
      : TestCgroup(kCpuHierarchy, {{"cpu.cfs_period_us", std::to_string(period_us)},
                                   {"cpu.cfs_quota_us", std::to_string(quota_us)}}) {}
};

/// Both ends close on destruction; O_CLOEXEC so that only dup2'ed copies reach the child.
struct Pipe {
  int read_fd = -1;
  int write_fd = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) == 0) {
      read_fd = fds[0];
      write_fd = fds[1];
    }
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  bool ok() const { return read_fd >= 0; }
  void close_read() {
    if (read_fd >= 0) ::close(read_fd);
    read_fd = -1;
  }
  void close_write() {
    if (write_fd >= 0) ::close(write_fd);
    write_fd = -1;
  }
};

struct ChildResult {
  std::string error;   ///< "" when the child ran; else why it did not
  int exit_code = -1;  ///< 128 + signal when killed
  std::string out;
  std::string err;
};

/// This process's environment without the thread-related variables, plus `set`.
inline std::vector<std::string> child_environment(const std::map<std::string, std::string>& set) {
  const auto& drop = torchdiag::thread_env_names();
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    if (std::find(drop.begin(), drop.end(), name) == drop.end()) env.push_back(entry);
  }
  for (const auto& [k, v] : set) env.push_back(k + "=" + v);
  return env;
}

inline std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

/// In the child: wait until the parent has moved it into the cgroup, then exec.
[[noreturn]] inline void exec_child(Pipe& go, Pipe& out, Pipe& err, Pipe& exec_error, char* const* argv,
                             char* const* envp) {
  go.close_write();
  if (::dup2(out.write_fd, STDOUT_FILENO) < 0 || ::dup2(err.write_fd, STDERR_FILENO) < 0) _exit(126);
  char byte = 0;
  if (::read(go.read_fd, &byte, 1) != 1) _exit(125);  // the parent gave up
  ::execve(argv[0], argv, envp);
  const int e = errno;
  if (::write(exec_error.write_fd, &e, sizeof e) < 0) _exit(127);
  _exit(127);
}

/// Reads both pipes to EOF; false when the child outlived the timeout.
inline bool drain(int out_fd, int err_fd, std::string& out, std::string& err, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&out, &err};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) return false;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const auto n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) sinks[i]->append(buf, static_cast<size_t>(n));
      else if (n == 0 || errno != EINTR) fds[i].fd = -1;
    }
  }
  return true;
}

inline int wait_exit_code(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

/// Starts `args` with environment `env`, its pid written into the cgroup's cgroup.procs
/// before it execs, and collects its output and exit status.
inline ChildResult run_in_cgroup(const TestCgroup& cgroup, std::vector<std::string> args,
                                 std::vector<std::string> env, int timeout_ms = kChildTimeoutMs) {
  ChildResult r;
  auto argv = c_strings(args);
  auto envp = c_strings(env);
  Pipe go, out, err, exec_error;
  if (!go.ok() || !out.ok() || !err.ok() || !exec_error.ok()) {
    r.error = errno_text("pipe2");
    return r;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    r.error = errno_text("fork");
    return r;
  }
  if (pid == 0) exec_child(go, out, err, exec_error, argv.data(), envp.data());
  go.close_read();
  out.close_write();
  err.close_write();
  exec_error.close_write();
  r.error = write_file(cgroup.dir() + "/cgroup.procs", std::to_string(pid));
  if (r.error.empty() && ::write(go.write_fd, "x", 1) != 1) r.error = errno_text("start child");
  go.close_write();
  int exec_errno = 0;
  if (r.error.empty() && ::read(exec_error.read_fd, &exec_errno, sizeof exec_errno) > 0) {
    r.error = "exec " + args[0] + ": " + std::strerror(exec_errno);
  }
  if (r.error.empty() && !drain(out.read_fd, err.read_fd, r.out, r.err, timeout_ms)) {
    r.error = "timed out after " + std::to_string(timeout_ms / 1000) + " s";
  }
  if (!r.error.empty()) ::kill(pid, SIGKILL);
  r.exit_code = wait_exit_code(pid);
  return r;
}

/// A child started without waiting for it, inside `cgroup` when one is given (its pid
/// written into cgroup.procs before it execs), its stdout and stderr sent to files
/// ("" sends them to /dev/null). It gets SIGKILL when this process dies, and is killed
/// and reaped on destruction: declare it after the cgroup it runs in.
class BackgroundChild {
 public:
  BackgroundChild(std::vector<std::string> args, std::vector<std::string> env, const TestCgroup* cgroup = nullptr,
                  const std::string& out_path = "", const std::string& err_path = "") {
    auto argv = c_strings(args);
    auto envp = c_strings(env);
    const int out_fd = open_output(out_path);
    const int err_fd = open_output(err_path);
    Pipe go, exec_error;
    if (out_fd < 0 || err_fd < 0 || !go.ok() || !exec_error.ok()) {
      error_ = errno_text("open the child's output or pipes");
    } else {
      pid_ = ::fork();
      if (pid_ < 0) error_ = errno_text("fork");
    }
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      go.close_write();
      if (::dup2(out_fd, STDOUT_FILENO) < 0 || ::dup2(err_fd, STDERR_FILENO) < 0) _exit(126);
      char byte = 0;
      if (::read(go.read_fd, &byte, 1) != 1) _exit(125);  // the parent gave up
      ::execve(argv[0], argv.data(), envp.data());
      const int e = errno;
      if (::write(exec_error.write_fd, &e, sizeof e) < 0) _exit(127);
      _exit(127);
    }
    if (out_fd >= 0) ::close(out_fd);
    if (err_fd >= 0) ::close(err_fd);
    if (pid_ < 0) return;
    go.close_read();
    exec_error.close_write();
    if (cgroup) error_ = write_file(cgroup->dir() + "/cgroup.procs", std::to_string(pid_));
    if (error_.empty() && ::write(go.write_fd, "x", 1) != 1) error_ = errno_text("start child");
    go.close_write();
    int exec_errno = 0;  // EOF once execve succeeded (the pipe is close-on-exec)
    if (error_.empty() && ::read(exec_error.read_fd, &exec_errno, sizeof exec_errno) > 0) {
      error_ = "exec " + args[0] + ": " + std::strerror(exec_errno);
    }
    if (!error_.empty()) kill_and_reap(SIGKILL);
  }
  ~BackgroundChild() {
    if (pid_ > 0 && !reaped_) kill_and_reap(SIGKILL);
  }
  BackgroundChild(const BackgroundChild&) = delete;
  BackgroundChild& operator=(const BackgroundChild&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& error() const { return error_; }  ///< "" when the child runs

  /// Its exit code (128 + signal when killed) once it exits within `timeout_s`, else -1
  /// (it keeps running).
  int wait_exit(double timeout_s) {
    if (reaped_) return exit_code_;
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (true) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        reaped_ = true;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
        return exit_code_;
      }
      if (r < 0 && errno != EINTR) return -1;
      if (std::chrono::steady_clock::now() >= until) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  /// Sends `sig` and reaps the child; its exit code.
  int kill_and_reap(int sig) {
    if (pid_ <= 0) return -1;
    if (reaped_) return exit_code_;
    ::kill(pid_, sig);
    exit_code_ = wait_exit_code(pid_);
    reaped_ = true;
    return exit_code_;
  }

 private:
  static int open_output(const std::string& path) {
    if (path.empty()) return ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    return ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  }
  pid_t pid_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
  std::string error_;
};

/// Number of threads of `pid` (entries of /proc/PID/task); 0 when it is gone.
inline int task_count(pid_t pid) {
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
  if (!dir) return 0;
  int n = 0;
  while (const dirent* e = ::readdir(dir)) n += e->d_name[0] != '.';
  ::closedir(dir);
  return n;
}

/// True once `pid` has at least `threads` threads, waiting up to `timeout_s`.
inline bool wait_for_threads(pid_t pid, int threads, double timeout_s) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (task_count(pid) < threads) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

inline int affinity_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return CPU_COUNT(&set);
}

}  // namespace torchdiag::test
