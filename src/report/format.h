#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace torchdiag {

/// Output formats. Not every report supports every format; see each command.
enum class Format { kText, kJson, kCsv, kMarkdown, kShell, kEnv, kDocker, kK8s, kSystemd, kOpenMetrics, kTorchServe, kTriton };

/// "json" -> Format::kJson; nullopt for unknown names.
std::optional<Format> parse_format(std::string_view name);
const char* format_name(Format f);

}  // namespace torchdiag
