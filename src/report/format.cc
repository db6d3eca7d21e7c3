#include "report/format.h"

#include "util/strings.h"

namespace torchdiag {
namespace {
struct Entry {
  Format format;
  const char* name;
};
constexpr Entry kFormats[] = {
    {Format::kText, "text"},     {Format::kJson, "json"},     {Format::kCsv, "csv"},
    {Format::kMarkdown, "markdown"}, {Format::kShell, "shell"}, {Format::kEnv, "env"},
    {Format::kDocker, "docker"}, {Format::kK8s, "k8s"},       {Format::kSystemd, "systemd"},
    {Format::kOpenMetrics, "openmetrics"}, {Format::kTorchServe, "torchserve"}, {Format::kTriton, "triton"},
};
}  // namespace

std::optional<Format> parse_format(std::string_view name) {
  for (const auto& e : kFormats) {
    if (name == e.name) return e.format;
  }
  return std::nullopt;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\n") == std::string_view::npos) return std::string(text);
  return "\"" + escape_chars(text, {{'"', "\"\""}}) + "\"";
}

std::string markdown_cell(std::string_view text) {
  return escape_chars(text, {{'|', "\\|"}, {'`', "\\`"}, {'<', "&lt;"}, {'>', "&gt;"}});
}

const char* format_name(Format f) {
  for (const auto& e : kFormats) {
    if (e.format == f) return e.name;
  }
  return "text";
}

}  // namespace torchdiag
