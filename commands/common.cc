#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "report/recommend_render.h"
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

std::string format_list(const std::vector<Format>& formats) {
  std::string out;
  for (size_t i = 0; i < formats.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == formats.size() ? " or " : ", ") + std::string(format_name(formats[i]));
  }
  return out;
}

const std::vector<Format>& command_formats(const std::string& command) {
  static const std::map<std::string, std::vector<Format>> table = {
      {"inspect", {Format::kText, Format::kJson, Format::kOpenMetrics}},
      {"bench", {Format::kText, Format::kJson, Format::kCsv, Format::kMarkdown}},
      {"profile", {Format::kText, Format::kJson, Format::kCsv, Format::kMarkdown}},
      {"recommend", recommend_formats()},
      {"watch", {Format::kText, Format::kJson, Format::kOpenMetrics}},
      {"diff", {Format::kText, Format::kJson, Format::kMarkdown}}};
  static const std::vector<Format> none;
  const auto it = table.find(command);
  return it == table.end() ? none : it->second;
}

Format checked_format(const std::string& value, const std::string& command) {
  const auto& supported = command_formats(command);
  const auto f = parse_format(value);
  if (f && std::find(supported.begin(), supported.end(), *f) != supported.end()) return *f;
  std::vector<std::string> names;
  for (const auto s : supported) names.push_back(format_name(s));
  if (f) usage_error(fmt::format("--format '{}': {} does not support it (expected {})", value, command, format_list(supported)));
  usage_error(fmt::format("--format '{}': unknown format (expected {}){}", value, format_list(supported),
                          did_you_mean(value, names)));
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
