// parse_mountinfo and unescape_mount_field (src/probe/mountinfo.h) on arbitrary text.
// Invariants: decoding octal escapes never lengthens a field, and every entry parsed
// has a file system type (the field after the " - " separator).
#include <cstddef>
#include <cstdint>

#include "fuzz_check.h"
#include "probe/mountinfo.h"

using torchdiag::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = torchdiag::fuzz::as_text(data, size);
  const auto unescaped = torchdiag::unescape_mount_field(text);
  check(unescaped.size() <= text.size(), "unescape_mount_field never lengthens its input");
  for (const auto& m : torchdiag::parse_mountinfo(text)) {
    check(!m.fstype.empty(), "a parsed mount has a file system type");
    check(m.mount_point.size() <= text.size() && m.root.size() <= text.size(),
          "mount fields come from the input");
  }
  return 0;
}
