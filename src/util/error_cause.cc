#include "util/error_cause.h"

#include <cctype>
#include <vector>

#include "util/strings.h"

namespace torchdiag {
namespace {

constexpr size_t kMaxCauseBytes = 1000;

/// "RuntimeError: ...", "builtins.ValueError: ...", "torch.jit.Error: ..."
bool names_an_exception(std::string_view line) {
  const auto colon = line.find(": ");
  if (colon == std::string_view::npos || colon == 0) return false;
  const auto type = line.substr(0, colon);
  for (const char c : type) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
  }
  for (const std::string_view suffix : {"Error", "Exception", "Interrupt"}) {
    if (type.size() >= suffix.size() && type.substr(type.size() - suffix.size()) == suffix) return true;
  }
  return false;
}

std::string bounded(std::string text) {
  if (text.size() > kMaxCauseBytes) text = text.substr(0, kMaxCauseBytes) + "...";
  return text;
}

}  // namespace

std::string error_cause(std::string_view message) {
  std::vector<std::string_view> lines;
  for (const auto raw : split(message, '\n')) {
    const auto line = trim(raw);
    if (!line.empty()) lines.push_back(line);
  }
  if (lines.empty()) return "";
  const bool traceback = message.find("Traceback of TorchScript") != std::string_view::npos ||
                         message.find("failed in the TorchScript interpreter") != std::string_view::npos;
  if (traceback) {
    for (size_t i = lines.size(); i-- > 0;) {
      if (!names_an_exception(lines[i])) continue;
      std::string cause(lines[i]);
      for (size_t j = i + 1; j < lines.size(); ++j) cause += " " + std::string(lines[j]);
      return bounded(cause);
    }
  }
  return bounded(std::string(lines.front()));
}

}  // namespace torchdiag
