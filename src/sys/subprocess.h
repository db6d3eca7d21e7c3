#pragma once
// Starting a child with pipes, a timeout and its resource usage. Used for the
// LibTorch worker: a crash or hang there fails one result, never the caller.
#include <sys/resource.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace torchdiag {

struct SpawnOptions {
  std::vector<std::string> argv;               ///< argv[0] is the executable path
  std::map<std::string, std::string> env;      ///< the child's complete environment
  std::string stdin_text;                      ///< written to the child's stdin, then closed
  double timeout_s = 0;                        ///< 0: wait forever; else SIGKILL after this
  double tick_s = 0.05;                        ///< period of on_tick while the child runs
  /// Turn off address-space randomisation in the child (personality ADDR_NO_RANDOMIZE,
  /// ignored where refused): every run gets the same layout, so timings of identical
  /// runs agree instead of varying with where the heap and libraries landed.
  bool fixed_layout = false;
  std::function<void(const std::string&)> on_stdout_line;  ///< each complete stdout line
  std::function<void(int pid)> on_start;       ///< right after fork, in the parent
  std::function<void(int pid)> on_tick;        ///< every tick_s while running
};

struct SpawnResult {
  bool started = false;
  std::string error;          ///< why it could not start (exec failure text)
  int exit_code = -1;         ///< valid when exited normally
  int signal = 0;             ///< terminating signal, 0 if none
  bool timed_out = false;
  std::string stdout_text;
  std::string stderr_text;
  double wall_s = 0;
  struct rusage usage {};     ///< the child's resource usage from wait4
  bool ok() const { return started && !timed_out && signal == 0 && exit_code == 0; }
  /// "exit status 3", "killed by signal 11 (Segmentation fault)", "timed out after 5 s", ...
  std::string describe() const;
};

/// Runs the child to completion. Never throws; failures are in the result.
/// The child runs in its own process group and never outlives this process: it gets
/// SIGKILL when the calling thread dies (PR_SET_PDEATHSIG, also after SIGKILL of this
/// process), and SIGINT, SIGTERM or SIGHUP of this process (unless it handles them
/// itself) kill the child's group before this process dies of the same signal.
SpawnResult run_process(const SpawnOptions& options);

/// The environment of this process, as a map (for building a child's environment).
std::map<std::string, std::string> current_environment();

}  // namespace torchdiag
