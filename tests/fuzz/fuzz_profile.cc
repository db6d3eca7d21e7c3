// `recommend --profile FILE` on an arbitrary file: parse_profile (src/report/profile_json.h)
// refuses it with a one-line reason, or reads a profile that writes back to a document
// that reads again and writes the same text.
//
// Seeds: the profiles in tests/fixtures/profiles (one with every optional field set).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "report/profile_json.h"

using torchdiag::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto profile = torchdiag::parse_profile(torchdiag::fuzz::as_text(data, size));
  if (!profile) {
    check(!profile.error().empty(), "a refusal says why");
    check(profile.error().find('\n') == std::string::npos, "a refusal is one line");
    return 0;
  }
  const std::string text = torchdiag::profile_to_json_text(*profile);
  check(!text.empty() && text.back() == '\n', "a profile ends with a newline");
  // Pretty-printing can outgrow a compact input past the size limit; not a fuzz-sized case.
  if (text.size() > torchdiag::kMaxProfileBytes) return 0;
  const auto again = torchdiag::parse_profile(text);
  check(again.ok(), "a profile written from one read reads back");
  check(torchdiag::profile_to_json_text(*again) == text, "writing what was read back gives the same text");
  return 0;
}
