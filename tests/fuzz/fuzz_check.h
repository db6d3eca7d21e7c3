#pragma once
// Shared by the libFuzzer harnesses: an invariant that must hold for every input.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace torchdiag::fuzz {

/// Traps (libFuzzer saves the input as a crash) when `ok` is false, naming the invariant.
inline void check(bool ok, const char* invariant) {
  if (ok) return;
  std::fprintf(stderr, "fuzz invariant violated: %s\n", invariant);
  __builtin_trap();
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// A mkdtemp(3) template for harnesses that write files: under $TORCHDIAG_FUZZ_TMPDIR,
/// else /dev/shm when writable, else $TMPDIR or /tmp. Memory beats disk by far here: on
/// ext4, rewriting a small file and removing a tree cost milliseconds per input.
inline std::string temp_template(std::string_view name) {
  std::string base = "/tmp";
  const char* chosen = std::getenv("TORCHDIAG_FUZZ_TMPDIR");
  const char* tmpdir = std::getenv("TMPDIR");
  if (chosen && *chosen) {
    base = chosen;
  } else if (access("/dev/shm", W_OK | X_OK) == 0) {
    base = "/dev/shm";
  } else if (tmpdir && *tmpdir) {
    base = tmpdir;
  }
  return base + "/" + std::string(name) + ".XXXXXX";
}

}  // namespace torchdiag::fuzz
