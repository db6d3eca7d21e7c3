#include "probe/cpu_topology.h"

#include <map>
#include <set>
#include <string>
#include <utility>

#include "util/strings.h"
#include "sys/kernel_paths.h"

namespace torchdiag {
namespace {

using paths::kCpuDir;
using paths::kNodeDir;

Fact<CpuSet> read_cpu_list(const FsReader& fs, const std::string& path) {
  const auto f = fs.read(path);
  if (!f.ok()) return Fact<CpuSet>::unavailable(f.error, path);
  const auto parsed = parse_cpu_list(f.text);
  if (!parsed.ok()) return Fact<CpuSet>::unavailable(parsed.error, path);
  return Fact<CpuSet>::known(parsed.cpus, path);
}

std::optional<long long> read_int(const FsReader& fs, const std::string& path) {
  const auto f = fs.read(path);
  return f.ok() ? parse_int(trim(f.text)) : std::nullopt;
}

void probe_cores(const FsReader& fs, const CpuSet& mask, CpuFacts& out) {
  std::map<std::pair<long long, long long>, int> threads_of_core;
  std::set<long long> packages;
  for (const int cpu : mask) {
    const auto topo = kCpuDir + "/cpu" + std::to_string(cpu) + "/topology/";
    const auto pkg = read_int(fs, topo + "physical_package_id");
    const auto core = read_int(fs, topo + "core_id");
    if (!pkg || !core) {
      const auto path = topo + (pkg ? "core_id" : "physical_package_id");
      out.physical_cores = Fact<int>::unavailable("missing or malformed", path);
      out.threads_per_core = out.physical_cores;
      out.sockets = out.physical_cores;
      return;
    }
    ++threads_of_core[{*pkg, *core}];
    packages.insert(*pkg);
  }
  int most = 0;
  for (const auto& entry : threads_of_core) most = std::max(most, entry.second);
  out.physical_cores = Fact<int>::known(static_cast<int>(threads_of_core.size()), kCpuDir);
  out.threads_per_core = Fact<int>::known(most, kCpuDir);
  out.sockets = Fact<int>::known(static_cast<int>(packages.size()), kCpuDir);
}

void probe_nodes(const FsReader& fs, const CpuSet& mask, CpuFacts& out) {
  int nodes = 0;
  bool any = false;
  for (const auto& name : fs.list_dir(kNodeDir)) {
    if (!starts_with(name, "node") || !parse_int(std::string_view(name).substr(4))) continue;
    const auto cpus = read_cpu_list(fs, kNodeDir + "/" + name + "/cpulist");
    if (!cpus.ok()) continue;
    any = true;
    if (!intersect(*cpus.value, mask).empty()) ++nodes;
  }
  out.numa_nodes = any ? Fact<int>::known(nodes, kNodeDir)
                       : Fact<int>::unavailable("no NUMA node directories", kNodeDir);
}

}  // namespace

CpuFacts probe_cpu_topology(const FsReader& fs, const Fact<CpuSet>& affinity) {
  CpuFacts out;
  out.online = read_cpu_list(fs, kCpuDir + "/online");
  out.affinity = affinity;
  if (!affinity.ok()) {
    const auto why = Fact<int>::unavailable("affinity unknown: " + affinity.reason, affinity.path);
    out.physical_cores = out.threads_per_core = out.sockets = out.numa_nodes = why;
    return out;
  }
  probe_cores(fs, *affinity.value, out);
  probe_nodes(fs, *affinity.value, out);
  return out;
}

}  // namespace torchdiag
