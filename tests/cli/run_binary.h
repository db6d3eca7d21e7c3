#pragma once
// Runs the real binaries from tests, through torchdiag's own process runner.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sys/subprocess.h"

namespace torchdiag::test {

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

}  // namespace torchdiag::test
