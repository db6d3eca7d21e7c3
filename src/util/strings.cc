#include "util/strings.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace torchdiag {

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n\f\v";
  const auto first = s.find_first_not_of(ws);
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(ws);
  return s.substr(first, last - first + 1);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const auto pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::optional<long long> parse_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  long long value = 0;
  const auto* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<double> parse_double(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  const std::string copy(s);
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(copy.c_str(), &end);
  if (errno != 0 || end != copy.c_str() + copy.size()) return std::nullopt;
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string last_line(std::string_view text) {
  const auto lines = split(trim(text), '\n');
  return std::string(trim(lines.back()));
}

std::string percent(double share) { return fmt::format("{:.0f}%", 100.0 * share); }

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

namespace {

/// Length of the valid UTF-8 sequence at the start of `s`, or 0 (RFC 3629, section 4:
/// no overlong forms, no surrogates, nothing above U+10FFFF).
size_t utf8_sequence_length(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  size_t n = 0;
  int lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < n || byte(1) < lo || byte(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t n = utf8_sequence_length(text);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      text.remove_prefix(1);
    } else {
      out.append(text.substr(0, n));
      text.remove_prefix(n);
    }
  }
  return out;
}

std::string hex_encode(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<unsigned long long> parse_hex_u64(std::string_view s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  unsigned long long v = 0;
  for (const char c : s) {
    const int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<unsigned long long>(d);
  }
  return v;
}

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
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

namespace {

/// True when `word` (two or more characters) abbreviates `choice`: the same first
/// letter, and every letter of `word` in `choice`, in order ("md" of "markdown").
bool abbreviates(const std::string& word, const std::string& choice) {
  if (word.size() < 2 || word.size() >= choice.size() || word[0] != choice[0]) return false;
  size_t at = 0;
  for (const char c : word) {
    at = choice.find(c, at);
    if (at == std::string::npos) return false;
    ++at;
  }
  return true;
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
  if (best.empty()) {  // else an abbreviation, when only one choice fits
    std::vector<std::string> fits;
    for (const auto& c : choices) {
      if (abbreviates(word, c)) fits.push_back(c);
    }
    if (fits.size() == 1) best = fits.front();
  }
  return best.empty() ? "" : "; did you mean '" + best + "'?";
}

std::string escape_chars(std::string_view text, std::initializer_list<CharEscape> escapes) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto* e = std::find_if(escapes.begin(), escapes.end(), [c](const CharEscape& x) { return x.c == c; });
    if (e != escapes.end()) {
      out += e->replacement;
    } else {
      out += c;
    }
  }
  return out;
}

std::string printable(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

std::optional<long long> parse_byte_size(std::string_view text) {
  text = trim(text);
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const auto number = parse_int(text.substr(0, digits));
  if (!number || *number <= 0) return std::nullopt;
  const auto unit = text.substr(digits);
  static const std::pair<std::string_view, long long> kUnits[] = {
      {"", 1},           {"Ki", 1LL << 10},   {"Mi", 1LL << 20},     {"Gi", 1LL << 30},      {"Ti", 1LL << 40},
      {"K", 1000},       {"M", 1000000},      {"G", 1000000000},     {"T", 1000000000000}, {"k", 1LL << 10},
      {"m", 1LL << 20},  {"g", 1LL << 30},    {"t", 1LL << 40}};
  for (const auto& [name, factor] : kUnits) {
    if (unit != name) continue;
    if (*number > (1LL << 62) / factor) return std::nullopt;
    return *number * factor;
  }
  return std::nullopt;
}

std::string mib_text(long long bytes) { return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20)); }

std::optional<double> parse_duration_s(std::string_view text) {
  text = trim(text);
  size_t end = 0;
  while (end < text.size() && ((text[end] >= '0' && text[end] <= '9') || text[end] == '.')) ++end;
  const auto number = parse_double(text.substr(0, end));
  if (!number || !(*number > 0)) return std::nullopt;
  const auto unit = trim(text.substr(end));
  static const std::pair<std::string_view, double> kUnits[] = {{"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}};
  for (const auto& [name, factor] : kUnits) {
    if (unit != name) continue;
    const double s = *number * factor;
    if (s > 86400) return std::nullopt;
    return s;
  }
  return std::nullopt;
}

}  // namespace torchdiag
