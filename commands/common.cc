#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "sys/fs_reader.h"
#include "sys/unique_fd.h"
#include "util/strings.h"

namespace torchdiag::cli {

void usage_error(const std::string& message) { throw CommandError{kExitUsage, message}; }
void runtime_error(const std::string& message) { throw CommandError{kExitRuntime, message}; }

namespace {

[[noreturn]] void cannot_write(const std::string& path, int err) {
  runtime_error(fmt::format("cannot write '{}': {}", is_stdout_path(path) ? "standard output" : path, std::strerror(err)));
}

}  // namespace

void write_output(const std::string& raw, const std::string& path) {
  const auto text = sanitize_utf8(raw);  // every format: text, CSV, Markdown, SVG, JSON
  if (is_stdout_path(path)) {
    if (std::fflush(stdout) != 0) cannot_write(path, errno);
    if (const int err = write_all(STDOUT_FILENO, text)) cannot_write(path, err);
    return;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0) cannot_write(path, errno);
  const int err = write_all(fd, text);
  const int close_err = ::close(fd) == 0 ? 0 : errno;
  if (err || close_err) cannot_write(path, err ? err : close_err);
}

void check_output_path(const std::string& path, const std::string& option) {
  if (is_stdout_path(path)) return;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) usage_error(fmt::format("{} '{}': is a directory", option, path));
    if (S_ISREG(st.st_mode) && ::access(path.c_str(), W_OK) != 0) {
      usage_error(fmt::format("{} '{}': {}", option, path, std::strerror(errno)));
    }
    return;  // a device such as /dev/null, or a writable file
  }
  const auto dir = path.find('/') == std::string::npos ? std::string(".") : parent_path(path);
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    usage_error(fmt::format("{} '{}': directory '{}' does not exist", option, path, dir));
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    usage_error(fmt::format("{} '{}': directory '{}' is not writable: {}", option, path, dir, std::strerror(errno)));
  }
}

void check_output_dir(const std::string& dir, const std::string& option) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) usage_error(fmt::format("{} '{}': {}", option, dir, std::strerror(errno)));
  if (!S_ISDIR(st.st_mode)) usage_error(fmt::format("{} '{}': not a directory", option, dir));
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    usage_error(fmt::format("{} '{}': cannot create files in it: {}", option, dir, std::strerror(errno)));
  }
}

void check_root_dir(const std::string& root) {
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) {
    usage_error(fmt::format("--root '{}': {}", root, errno == ENOENT ? "no such directory" : std::strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode)) usage_error(fmt::format("--root '{}': not a directory", root));
}

const CLI::Validator& non_empty() {
  static const CLI::Validator v(
      [](std::string& value) { return value.empty() ? std::string("an empty value is not allowed") : std::string(); },
      "");
  return v;
}

const CLI::Validator& finite_number() {
  static const CLI::Validator v(
      [](std::string& value) {
        return parse_double(value) ? std::string() : "'" + value + "' is not a finite number";
      },
      "");
  return v;
}

void warn(const std::string& message) { fmt::print(stderr, "torchdiag: warning: {}\n", message); }

void note(const std::string& message) { fmt::print(stderr, "torchdiag: {}\n", message); }

}  // namespace torchdiag::cli
