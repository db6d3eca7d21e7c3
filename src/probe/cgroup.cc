#include "probe/cgroup.h"

#include <algorithm>
#include <cerrno>
#include <optional>

#include "probe/cgroup_files.h"
#include "probe/mountinfo.h"
#include "util/strings.h"
#include "sys/kernel_paths.h"

namespace torchdiag {
namespace {

bool has(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

/// True when `path` equals `prefix` or lies under it (component-wise), with no ".."
/// below the prefix: following one could leave the snapshot root. A prefix may itself
/// start with ".." components: from inside a cgroup namespace, both another process's
/// path and a mount of the host's hierarchy read "/../<...>", and what follows the
/// shared prefix is a plain path.
bool is_under(std::string_view path, std::string_view prefix) {
  if (prefix != "/") {
    if (!starts_with(path, prefix)) return false;
    if (path.size() != prefix.size() && path[prefix.size()] != '/') return false;
    path.remove_prefix(prefix.size());
  }
  return path.find("/..") == std::string_view::npos;
}

/// A hierarchy found for one controller: its mount and the process's directory in it.
struct Hierarchy {
  int version = 0;
  std::string path;
  std::string mount_point;
  std::string dir;
};

const MountEntry* pick_mount(const std::vector<MountEntry>& mounts, const CgroupLine& line,
                             int version, std::string_view controller) {
  const MountEntry* first = nullptr;
  for (const auto& m : mounts) {
    const bool match = version == 1 ? (m.fstype == "cgroup" && has(m.super_options, controller))
                                    : m.fstype == "cgroup2";
    if (!match) continue;
    if (is_under(line.path, m.root)) return &m;  // the usual case: the path is inside
    if (!first) first = &m;
  }
  return first;
}

/// The hierarchy of `controller` (a v1 one wins over the v2 line on hybrid systems);
/// with an empty `controller`, the unified (v2) hierarchy only.
/// The hierarchy of `controller` and the process's directory in it. When that directory
/// cannot be found (a path outside the mount, a directory that is gone), the mount
/// point stands in for this process (inside a cgroup namespace its own cgroup is the
/// mount's root) but not for another one (`own` false): its limits are then unknown.
std::optional<Hierarchy> locate(const FsReader& fs, const std::vector<CgroupLine>& lines,
                                const std::vector<MountEntry>& mounts, std::string_view controller, bool own,
                                std::vector<std::string>& warnings) {
  const CgroupLine* v1 = nullptr;
  const CgroupLine* v2 = nullptr;
  for (const auto& l : lines) {
    if (l.hierarchy_id == 0 && l.controllers.empty()) v2 = &l;
    if (!controller.empty() && l.hierarchy_id != 0 && has(l.controllers, controller)) v1 = &l;
  }
  const CgroupLine* line = nullptr;
  const MountEntry* mount = nullptr;
  int version = 0;
  if (v1 && (mount = pick_mount(mounts, *v1, 1, controller))) {
    line = v1;
    version = 1;
  } else if (v2 && (mount = pick_mount(mounts, *v2, 2, controller))) {
    line = v2;
    version = 2;
  }
  if (!line) return std::nullopt;
  Hierarchy h{version, line->path, mount->mount_point, mount->mount_point};
  const std::string fallback = own ? "; using the mount point " + mount->mount_point
                                   : "; this process's cgroup limits are unknown here";
  if (is_under(line->path, mount->root)) {
    const auto rel = mount->root == "/" ? line->path : line->path.substr(mount->root.size());
    h.dir = join_path(mount->mount_point, rel);
    if (!fs.is_dir(h.dir)) {
      warnings.push_back("cgroup directory " + h.dir + " does not exist" + fallback);
      if (!own) return std::nullopt;
      h.dir = mount->mount_point;
    }
  } else {
    warnings.push_back("cgroup path " + line->path + " is not under the mount root " + mount->root +
                       " (another cgroup namespace?)" + fallback);
    if (!own) return std::nullopt;
  }
  return h;
}

/// Directories from `dir` up to and including `mount_point`.
std::vector<std::string> ancestry(const std::string& dir, const std::string& mount_point) {
  std::vector<std::string> out;
  std::string cur = dir;
  while (true) {
    out.push_back(cur);
    if (cur == mount_point || cur == "/" || cur.empty() || !is_under(cur, mount_point)) break;
    cur = parent_path(cur);
  }
  return out;
}

/// Reads the quota at one level: nullopt when no quota file exists here.
std::optional<QuotaParse> read_quota(const FsReader& fs, int version, const std::string& dir,
                                     std::string& source) {
  if (version == 2) {
    source = join_path(dir, "cpu.max");
    const auto f = fs.read(source);
    if (!f.ok()) return std::nullopt;
    return parse_cpu_max(f.text);
  }
  source = join_path(dir, "cpu.cfs_quota_us");
  const auto q = fs.read(source);
  if (!q.ok()) return std::nullopt;
  const auto p = fs.read(join_path(dir, "cpu.cfs_period_us"));
  return parse_cfs_quota(q.text, p.ok() ? p.text : "");
}

void probe_quota(const FsReader& fs, const Hierarchy& h, CgroupFacts& out) {
  for (const auto& dir : ancestry(h.dir, h.mount_point)) {
    std::string source;
    const auto parsed = read_quota(fs, h.version, dir, source);
    if (!parsed) continue;  // no file at this level: keep walking
    if (!parsed->ok()) {
      out.warnings.push_back(source + ": " + parsed->error + "; treated as no known limit");
      continue;
    }
    if (!parsed->quota.limited) continue;
    const double cpus = parsed->quota.cpus();
    if (!out.quota_cpus || cpus < *out.quota_cpus) {
      out.quota_cpus = cpus;
      out.quota_source = source;
      out.quota_us = parsed->quota.quota_us;
      out.period_us = parsed->quota.period_us;
    }
  }
}

void probe_cpuset(const FsReader& fs, const std::vector<CgroupLine>& lines,
                  const std::vector<MountEntry>& mounts, bool own, CgroupFacts& out) {
  std::vector<std::string> ignored;
  const auto h = locate(fs, lines, mounts, "cpuset", own, ignored);
  if (!h) {
    out.cpuset = Fact<CpuSet>::unavailable(ignored.empty() ? "no cpuset hierarchy found" : ignored.back());
    return;
  }
  const std::vector<std::string> names =
      h->version == 2 ? std::vector<std::string>{"cpuset.cpus.effective"}
                      : std::vector<std::string>{"cpuset.effective_cpus", "cpuset.cpus"};
  for (const auto& dir : ancestry(h->dir, h->mount_point)) {
    for (const auto& name : names) {
      const auto path = join_path(dir, name);
      const auto f = fs.read(path);
      if (!f.ok()) continue;
      const auto parsed = parse_cpu_list(f.text);
      if (!parsed.ok()) {
        out.warnings.push_back(path + ": " + parsed.error);
        out.cpuset = Fact<CpuSet>::unavailable(parsed.error, path);
        return;
      }
      if (parsed.cpus.empty()) continue;  // v2 files are empty when the controller is off
      out.cpuset = Fact<CpuSet>::known(parsed.cpus, path);
      return;
    }
  }
  out.cpuset = Fact<CpuSet>::unavailable("no cpuset file", h->dir);
}

void probe_weight(const FsReader& fs, const Hierarchy& h, CgroupFacts& out) {
  out.weight_kind = h.version == 2 ? "cpu.weight" : "cpu.shares";
  const auto path = join_path(h.dir, out.weight_kind);
  const auto f = fs.read(path);
  if (!f.ok()) {
    out.weight = Fact<long long>::unavailable(f.error, path);
    return;
  }
  const auto v = parse_int(trim(f.text));
  out.weight = v ? Fact<long long>::known(*v, path) : Fact<long long>::unavailable("not a number", path);
}

void probe_stat(const FsReader& fs, const Hierarchy& h, CgroupFacts& out) {
  const auto dir = out.quota_source.empty() ? h.dir : parent_path(out.quota_source);
  const auto path = join_path(dir, "cpu.stat");
  const auto f = fs.read(path);
  if (!f.ok()) {
    out.cpu_stat = Fact<CpuStat>::unavailable(f.error, path);
    return;
  }
  const auto stat = parse_cpu_stat(f.text);
  out.cpu_stat = stat ? Fact<CpuStat>::known(*stat, path)
                      : Fact<CpuStat>::unavailable("no nr_periods/nr_throttled", path);
}

/// PSI of the process's own cgroup: cpu.pressure in the unified hierarchy, which exists
/// on v2 and also beside v1 controllers (hybrid). Else the system-wide file, labelled so.
void probe_pressure(const FsReader& fs, const std::optional<Hierarchy>& unified, CgroupFacts& out) {
  if (unified) {
    const auto path = join_path(unified->dir, "cpu.pressure");
    const auto f = fs.read(path);
    const auto p = f.ok() ? parse_pressure(f.text) : std::nullopt;
    if (p) {
      out.pressure = Fact<Pressure>::known(*p, path);
      // The root cgroup's file counts every task: that is the system-wide figure.
      out.pressure_scope = unified->path == "/" ? "system-wide" : "cgroup";
      return;
    }
  }
  const auto& path = paths::kPressureCpu;
  const auto f = fs.read(path);
  out.pressure_scope = "system-wide";
  if (!f.ok()) {
    out.pressure = Fact<Pressure>::unavailable(f.error, path);
    return;
  }
  const auto p = parse_pressure(f.text);
  out.pressure = p ? Fact<Pressure>::known(*p, path) : Fact<Pressure>::unavailable("malformed", path);
}

}  // namespace

CgroupFacts probe_cgroup(const FsReader& fs, const std::string& proc_dir) {
  CgroupFacts out;
  const auto cg_path = join_path(proc_dir, "cgroup");
  const auto cg = fs.read(cg_path);
  // The cgroup path in proc_dir/cgroup is relative to the reader's cgroup namespace and
  // its directory is found among the reader's mounts: another process's own mountinfo
  // (another mount namespace, e.g. a container) names mounts this reader cannot see.
  const auto mi_path = join_path(paths::proc_dir(), "mountinfo");
  const auto mi = fs.read(mi_path);
  if (!cg.ok()) out.warnings.push_back(cg_path + ": " + cg.error);
  if (!mi.ok()) out.warnings.push_back(mi_path + ": " + mi.error);
  const auto lines = parse_proc_cgroup(cg.text);
  const auto mounts = visible_mounts(parse_mountinfo(mi.text));
  for (const auto& m : mounts) {
    const int v = m.fstype == "cgroup2" ? 2 : m.fstype == "cgroup" ? 1 : 0;
    if (v &&
        std::find(out.mounted_versions.begin(), out.mounted_versions.end(), v) ==
            out.mounted_versions.end()) {
      out.mounted_versions.push_back(v);
    }
  }
  std::sort(out.mounted_versions.begin(), out.mounted_versions.end());
  const bool own = proc_dir == paths::proc_dir();
  const auto h = locate(fs, lines, mounts, "cpu", own, out.warnings);
  probe_cpuset(fs, lines, mounts, own, out);
  std::vector<std::string> ignored;  // a missing unified hierarchy is not a problem
  probe_pressure(fs, h && h->version == 2 ? h : locate(fs, lines, mounts, "", own, ignored), out);
  if (!h) {
    const std::string why = out.warnings.empty() ? "no cgroup hierarchy with the cpu controller found"
                                                 : out.warnings.back();
    out.weight = Fact<long long>::unavailable(why);
    out.cpu_stat = Fact<CpuStat>::unavailable(why);
    return out;
  }
  out.version = h->version;
  out.path = h->path;
  out.dir = h->dir;
  out.mount_point = h->mount_point;
  probe_quota(fs, *h, out);
  probe_weight(fs, *h, out);
  probe_stat(fs, *h, out);
  return out;
}

}  // namespace torchdiag
