#include "probe/process_status.h"

#include "util/strings.h"

namespace torchdiag {

std::optional<std::string> status_field(std::string_view status_text, std::string_view name) {
  for (const auto line : split(status_text, '\n')) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || line.substr(0, colon) != name) continue;
    return std::string(trim(line.substr(colon + 1)));
  }
  return std::nullopt;
}

Fact<CpuSet> affinity_from_status(const FsReader& fs, const std::string& proc_dir) {
  const auto path = join_path(proc_dir, "status");
  const auto f = fs.read(path);
  if (!f.ok()) return Fact<CpuSet>::unavailable(f.error, path);
  if (const auto list = status_field(f.text, "Cpus_allowed_list")) {
    const auto parsed = parse_cpu_list(*list);
    if (parsed.ok() && !parsed.cpus.empty()) return Fact<CpuSet>::known(parsed.cpus, path);
  }
  if (const auto mask = status_field(f.text, "Cpus_allowed")) {
    const auto parsed = parse_cpu_mask(*mask);
    if (parsed.ok() && !parsed.cpus.empty()) return Fact<CpuSet>::known(parsed.cpus, path);
  }
  return Fact<CpuSet>::unavailable("no valid Cpus_allowed_list or Cpus_allowed", path);
}

}  // namespace torchdiag
