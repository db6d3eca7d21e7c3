#include "sys/oom_counter.h"

#include "sys/kernel_paths.h"
#include "util/strings.h"

namespace torchdiag {

std::optional<long long> parse_oom_kill_count(std::string_view vmstat_text) {
  for (const auto line : split(vmstat_text, '\n')) {
    const auto fields = split_ws(line);
    if (fields.size() == 2 && fields[0] == "oom_kill") return parse_int(fields[1]);
  }
  return std::nullopt;
}

std::optional<long long> read_oom_kill_count(const FsReader& fs) {
  const auto f = fs.read(paths::kVmstat);
  return f.ok() ? parse_oom_kill_count(f.text) : std::nullopt;
}

}  // namespace torchdiag
