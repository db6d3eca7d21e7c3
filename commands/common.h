#pragma once
// Shared by the subcommands: exit codes, error printing, output files, option checks.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "report/format.h"

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

/// True when an output path means standard output ("" or "-").
inline bool is_stdout_path(const std::string& path) { return path.empty() || path == "-"; }

/// Writes to stdout ("" or "-"), or to `path`. Every write and the close are checked:
/// a failure throws CommandError "cannot write 'F': reason" (exit 1).
void write_output(const std::string& text, const std::string& path);

/// Usage error unless `path` ("" or "-" is stdout) can be written: its directory exists
/// and is writable and it is not a directory. Called before long work starts, so a sweep
/// never runs only to lose its result.
void check_output_path(const std::string& path, const std::string& option);

/// Usage error unless `dir` is a directory this process may create files in (for
/// outputs written as new files, e.g. the atomic --textfile-dir).
void check_output_dir(const std::string& dir, const std::string& option);

/// Usage error unless `root` is an existing directory (for --root).
void check_root_dir(const std::string& root);

/// The --format values of each command (inspect, bench, profile, recommend, watch,
/// diff): one table that the checks, the help text and the shell completions read.
const std::vector<Format>& command_formats(const std::string& command);

/// The --format value when `command` supports it; else a usage error that names the
/// supported ones ("--format 'md': unknown format (expected text, json or markdown);
/// did you mean 'markdown'?"; a known format the command lacks: "bench does not support it").
Format checked_format(const std::string& value, const std::string& command);

/// "text, json or markdown".
std::string format_list(const std::vector<Format>& formats);

/// Option validators: a value that must not be empty (paths), a finite number (CLI11
/// itself accepts "nan" and "inf" for doubles).
const CLI::Validator& non_empty();
const CLI::Validator& finite_number();

/// Prints to stderr with the program prefix.
void warn(const std::string& message);
/// A progress or log line on stderr ("torchdiag: <message>"), not a warning.
void note(const std::string& message);

}  // namespace torchdiag::cli
