#include "util/utc_time.h"

#include <ctime>

namespace torchdiag {

std::string utc_now_iso8601() {
  const auto t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace torchdiag
