#include "sys/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "sys/environment.h"

namespace torchdiag {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Pipe {
  int fd[2] = {-1, -1};
  bool open() { return ::pipe2(fd, O_CLOEXEC) == 0; }
  void close_all() {
    for (int& f : fd) {
      if (f >= 0) ::close(f);
      f = -1;
    }
  }
};

// The process group of the child being run, for the signal handlers below (0: none).
std::atomic<pid_t> g_child_pgid{0};

/// SIGINT, SIGTERM or SIGHUP of this process: kill the child's process group first,
/// then die of the same signal. Only async-signal-safe calls.
void forward_and_die(int sig) {
  const pid_t pgid = g_child_pgid.load();
  if (pgid > 0) ::kill(-pgid, SIGKILL);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

/// Installs forward_and_die for the terminating signals this process does not handle
/// itself (a command that handles SIGINT keeps its own handler).
void install_forwarding_once() {
  static const bool installed = [] {
    for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction old {};
      if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) continue;
      struct sigaction sa {};
      sa.sa_handler = forward_and_die;
      sigemptyset(&sa.sa_mask);
      ::sigaction(sig, &sa, nullptr);
    }
    return true;
  }();
  (void)installed;
}

[[noreturn]] void exec_child(const SpawnOptions& o, pid_t parent, Pipe& in, Pipe& out, Pipe& err, Pipe& status) {
  ::setpgid(0, 0);
  // Die with the parent, even by SIGKILL. The parent may already be gone by now (the
  // death signal is armed only from here on): then give up.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  if (o.fixed_layout) (void)::personality(ADDR_NO_RANDOMIZE);
  ::dup2(in.fd[0], 0);
  ::dup2(out.fd[1], 1);
  ::dup2(err.fd[1], 2);
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : o.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  ::execve(argv[0], argv.data(), envp.data());
  const int code = errno;
  (void)!::write(status.fd[1], &code, sizeof code);
  ::_exit(127);
}

/// Drains readable pipes; returns false once both are closed.
/// Reads what is available; a pipe at end of file is closed and set to -1.
void pump(int& out_fd, int& err_fd, int timeout_ms, SpawnResult& r, std::string& partial,
          const SpawnOptions& o) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  const int n = ::poll(fds, 2, timeout_ms);
  if (n <= 0) return;
  char buf[65536];
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      ::close(fds[i].fd);
      (i == 0 ? out_fd : err_fd) = -1;
      continue;
    }
    if (i == 1) {
      r.stderr_text.append(buf, static_cast<size_t>(got));
      continue;
    }
    r.stdout_text.append(buf, static_cast<size_t>(got));
    partial.append(buf, static_cast<size_t>(got));
    size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
      if (o.on_stdout_line) o.on_stdout_line(partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
  }
}

}  // namespace

std::string SpawnResult::describe() const {
  if (!started) return "could not start: " + error;
  if (timed_out) return fmt::format("timed out after {:.1f} s", wall_s);
  if (signal) return fmt::format("killed by signal {} ({})", signal, ::strsignal(signal));
  return fmt::format("exit status {}", exit_code);
}

std::map<std::string, std::string> current_environment() { return live_environment(); }

namespace {

struct Pipes {
  Pipe in, out, err, status;
  bool open() { return in.open() && out.open() && err.open() && status.open(); }
  void close_all() { in.close_all(), out.close_all(), err.close_all(), status.close_all(); }
};

/// Forks and execs; returns the pid (or -1 with r.error set). r.started tells
/// whether exec succeeded (the child reports its errno through the status pipe).
pid_t start_child(const SpawnOptions& o, Pipes& p, SpawnResult& r) {
  install_forwarding_once();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    r.error = std::strerror(errno);
    return -1;
  }
  if (pid == 0) exec_child(o, parent, p.in, p.out, p.err, p.status);
  ::setpgid(pid, pid);  // also here, so that the group exists before a signal is forwarded
  g_child_pgid.store(pid);
  ::close(p.in.fd[0]), ::close(p.out.fd[1]), ::close(p.err.fd[1]), ::close(p.status.fd[1]);
  p.in.fd[0] = p.out.fd[1] = p.err.fd[1] = p.status.fd[1] = -1;
  int exec_errno = 0;
  if (::read(p.status.fd[0], &exec_errno, sizeof exec_errno) == sizeof exec_errno) {
    r.error = fmt::format("{}: {}", o.argv[0], std::strerror(exec_errno));
  } else {
    r.started = true;
  }
  p.status.close_all();
  return pid;
}

void write_stdin(const SpawnOptions& o, Pipe& in) {
  ::signal(SIGPIPE, SIG_IGN);  // a child that exits early must not kill us
  size_t written = 0;
  while (written < o.stdin_text.size()) {
    const ssize_t n = ::write(in.fd[1], o.stdin_text.data() + written, o.stdin_text.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  in.close_all();
}

/// Pumps output, ticks and enforces the timeout until the child exits; returns its status.
int wait_for_child(const SpawnOptions& o, pid_t pid, Pipes& p, SpawnResult& r, std::string& partial,
                   Clock::time_point t0) {
  int wstatus = 0;
  auto last_tick = Clock::now();
  const int ms = std::max(1, static_cast<int>(o.tick_s > 0 ? o.tick_s * 1000 : 50));
  while (true) {
    pump(p.out.fd[0], p.err.fd[0], ms, r, partial, o);
    if (::wait4(pid, &wstatus, WNOHANG, &r.usage) == pid) return wstatus;
    if (o.on_tick && std::chrono::duration<double>(Clock::now() - last_tick).count() >= o.tick_s) {
      last_tick = Clock::now();
      o.on_tick(pid);
    }
    if (o.timeout_s > 0 && seconds_since(t0) > o.timeout_s && !r.timed_out) {
      r.timed_out = true;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
    }
  }
}

}  // namespace

SpawnResult run_process(const SpawnOptions& o) {
  SpawnResult r;
  Pipes p;
  if (o.argv.empty() || !p.open()) {
    r.error = o.argv.empty() ? "no command" : std::strerror(errno);
    p.close_all();
    return r;
  }
  const auto t0 = Clock::now();
  const pid_t pid = start_child(o, p, r);
  if (pid < 0) {
    p.close_all();
    return r;
  }
  if (r.started && o.on_start) o.on_start(pid);
  write_stdin(o, p.in);
  std::string partial;
  const int wstatus = wait_for_child(o, pid, p, r, partial, t0);
  g_child_pgid.store(0);
  // Collect what is left in the pipes after exit (bounded: a grandchild may hold them).
  const auto drain_start = Clock::now();
  while ((p.out.fd[0] >= 0 || p.err.fd[0] >= 0) && seconds_since(drain_start) < 1.0) {
    pump(p.out.fd[0], p.err.fd[0], 10, r, partial, o);
  }
  if (!partial.empty() && o.on_stdout_line) o.on_stdout_line(partial);
  p.close_all();
  r.wall_s = seconds_since(t0);
  if (WIFEXITED(wstatus)) r.exit_code = WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) r.signal = WTERMSIG(wstatus);
  return r;
}

}  // namespace torchdiag
