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

/// A CSV field (RFC 4180): quoted, with '"' doubled, when it holds ',', '"' or a newline.
std::string csv_field(std::string_view text);

/// A Markdown table cell: '|', '`', '<' and '>' escaped so the text cannot break the
/// table or become markup.
std::string markdown_cell(std::string_view text);

}  // namespace torchdiag
