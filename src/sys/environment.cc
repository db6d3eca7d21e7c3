#include "sys/environment.h"

#include "util/strings.h"

extern char** environ;

namespace torchdiag {

std::map<std::string, std::string> parse_environ(std::string_view text) {
  std::map<std::string, std::string> vars;
  for (const auto entry : split(text, '\0')) {
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    vars[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  return vars;
}

std::map<std::string, std::string> live_environment() {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    vars[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  return vars;
}

}  // namespace torchdiag
