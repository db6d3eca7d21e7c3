#pragma once
// Shared by the subcommands: exit codes, error printing, output files.
#include <string>
#include <vector>

namespace torchdiag::cli {

/// Exit codes (documented in man/torchdiag.1, EXIT STATUS).
enum ExitCode : int {
  kExitOk = 0,
  kExitRuntime = 1,   ///< something failed at run time
  kExitUsage = 2,     ///< bad option, argument or input
  kExitFindings = 3,  ///< `inspect --check`: a warning or critical finding fired
  kExitNotFound = 127 ///< `recommend --exec`: the command does not exist
};

/// Thrown by command code; main prints "torchdiag: error: <message>" and exits with `code`.
struct CommandError {
  int code;
  std::string message;
};

[[noreturn]] void usage_error(const std::string& message);
[[noreturn]] void runtime_error(const std::string& message);

/// Writes to stdout, or to `path` when non-empty (throws CommandError on failure).
void write_output(const std::string& text, const std::string& path);

/// "did you mean 'inspect'?" for a near miss among `choices`, or "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& choices);

/// Prints to stderr with the program prefix.
void warn(const std::string& message);

}  // namespace torchdiag::cli
