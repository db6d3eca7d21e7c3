#pragma once
// A content hash for naming a file's bytes (a model in a profile): FNV-1a, 64 bits.
// Not cryptographic: it tells files apart, it does not defend against forgery.
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace torchdiag {

class ContentHash {
 public:
  void update(std::string_view bytes) {
    for (const unsigned char c : bytes) {
      h_ ^= c;
      h_ *= 1099511628211ULL;
    }
  }
  /// "fnv1a64:<16 hex digits>"
  std::string text() const { return fmt::format("fnv1a64:{:016x}", h_); }

 private:
  uint64_t h_ = 1469598103934665603ULL;
};

}  // namespace torchdiag
