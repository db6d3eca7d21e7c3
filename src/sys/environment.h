#pragma once
// The process environment, live or from a captured environ file.
#include <map>
#include <string>
#include <string_view>

namespace torchdiag {

/// Parses /proc/PID/environ content: NUL-separated NAME=VALUE entries. Entries
/// without '=' are ignored; the last definition of a name wins.
std::map<std::string, std::string> parse_environ(std::string_view text);

/// This process's own environment.
std::map<std::string, std::string> live_environment();

}  // namespace torchdiag
