#include "common.h"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include <fmt/format.h>

namespace torchdiag::cli {

void usage_error(const std::string& message) { throw CommandError{kExitUsage, message}; }
void runtime_error(const std::string& message) { throw CommandError{kExitRuntime, message}; }

void write_output(const std::string& text, const std::string& path) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return;
  }
  std::ofstream f(path, std::ios::binary);
  if (!f) runtime_error(fmt::format("cannot write '{}': cannot open for writing", path));
  f << text;
  if (!f) runtime_error(fmt::format("cannot write '{}': write failed", path));
}

namespace {
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}
}  // namespace

std::string did_you_mean(const std::string& word, const std::vector<std::string>& choices) {
  std::string best;
  size_t best_d = 3;  // at most two edits away
  for (const auto& c : choices) {
    const auto d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best.empty() ? "" : fmt::format("; did you mean '{}'?", best);
}

void warn(const std::string& message) { fmt::print(stderr, "torchdiag: warning: {}\n", message); }

}  // namespace torchdiag::cli
