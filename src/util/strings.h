#pragma once
// Small string helpers shared by the parsers.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace torchdiag {

/// Removes leading and trailing ASCII whitespace.
std::string_view trim(std::string_view s);

/// Splits on `sep`; empty fields are kept.
std::vector<std::string_view> split(std::string_view s, char sep);

/// Splits on runs of spaces and tabs; empty fields are dropped.
std::vector<std::string_view> split_ws(std::string_view s);

/// Whole-string base-10 integer parse; nullopt on garbage, overflow or empty input.
std::optional<long long> parse_int(std::string_view s);

/// Whole-string decimal parse (e.g. "1.5"); nullopt on garbage, NaN or infinity.
std::optional<double> parse_double(std::string_view s);

bool starts_with(std::string_view s, std::string_view prefix);

/// The last non-empty line of `text`, trimmed ("" when there is none).
std::string last_line(std::string_view text);

/// `text` with every invalid UTF-8 sequence replaced by U+FFFD (valid text is returned
/// unchanged), so output built from arbitrary bytes is valid UTF-8.
std::string sanitize_utf8(std::string_view text);

/// `text` with every byte below 0x20 and 0x7f replaced by '?' (a name shown on a
/// terminal must not move the cursor or change colours).
std::string printable(std::string_view text);

/// Bytes as lower-case hex ("\x01\xff" -> "01ff"), and back (nullopt on odd length or a
/// non-hex digit).
std::string hex_encode(std::string_view bytes);
std::optional<std::string> hex_decode(std::string_view hex);

/// The value of one hex digit (either case), -1 for any other character.
int hex_digit(char c);

/// A whole-string hex number of at most 16 digits, no prefix ("7f3a00" -> 0x7f3a00);
/// nullopt for anything else.
std::optional<unsigned long long> parse_hex_u64(std::string_view s);

/// A memory size: bytes, or a number with a unit as Kubernetes writes it ("512Mi",
/// "4Gi" binary; "4G" decimal) or as Docker does ("4g", "512m": binary). nullopt for
/// anything else, zero, or more than 2^62 bytes.
std::optional<long long> parse_byte_size(std::string_view text);

/// Bytes as MiB with one decimal: "12.5 MiB".
std::string mib_text(long long bytes);

/// A duration with its unit, in seconds: "10ms", "0.5s", "250us", "1.5 ms". nullopt for
/// a bare number (the unit is not guessed), another unit, zero, a negative or more than a day.
std::optional<double> parse_duration_s(std::string_view text);

/// "; did you mean 'inspect'?" for a near miss (at most two edits) among `choices`, else
/// for the one choice the word abbreviates ("md" -> "markdown"), or "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& choices);

/// A character and what replaces it.
struct CharEscape {
  char c;
  std::string_view replacement;
};

/// `text` with each character found in `escapes` replaced (the others kept).
std::string escape_chars(std::string_view text, std::initializer_list<CharEscape> escapes);

/// A share as a whole percentage: 0.734 -> "73%".
std::string percent(double share);

/// Joins the parts with `sep`.
std::string join(const std::vector<std::string>& parts, std::string_view sep);

}  // namespace torchdiag
