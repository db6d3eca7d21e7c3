#pragma once
// Replacing this process with another program, as a shell's `exec` does.
#include <map>
#include <string>
#include <vector>

namespace torchdiag {

/// Why exec_command returned, with the exit status a shell would use.
struct ExecFailure {
  int exit_code = 126;  ///< 127: command not found; 126: found but not executable
  std::string message;  ///< "CMD: command not found", "CMD: Permission denied", ...
};

/// Sets `vars` in this process's environment, then replaces the process with
/// `argv[0]` (looked up on PATH unless it contains a '/'; no shell involved) called
/// with `argv`. Returns only on failure; `argv` must not be empty.
ExecFailure exec_command(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& vars);

}  // namespace torchdiag
