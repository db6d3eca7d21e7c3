#include "bench/measure_cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>

#include "probe/cgroup_files.h"
#include "probe/mountinfo.h"
#include "sys/fs_reader.h"
#include "sys/kernel_paths.h"
#include "sys/unique_fd.h"
#include "util/cpu_list.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

/// Why a v2 parent refuses to enable controllers for its children (EBUSY).
constexpr const char* kInternalProcesses =
    " (cgroup v2 hands controllers to child cgroups only from a cgroup without processes of its own, and this "
    "process's cgroup has some)";

bool has(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

/// Untrusted file text for a message: printable and at most 40 bytes.
std::string excerpt(std::string_view text) {
  text = trim(text);
  const bool cut = text.size() > 40;
  return "'" + printable(text.substr(0, 40)) + (cut ? "...'" : "'");
}

/// The limits checked and turned into the values written.
struct Values {
  std::vector<std::string> controllers;  ///< asked for, in the order cpu, cpuset, memory
  long long quota_us = 0;
  std::string cpus;  ///< canonical CPU list
  long long memory_bytes = 0;
};

std::string check_limits(const CgroupLimits& limits, Values& v) {
  if (limits.cpus) {
    const double cpus = *limits.cpus;
    if (!std::isfinite(cpus) || cpus <= 0 || cpus > static_cast<double>(kMaxCpus)) {
      return fmt::format("a quota of {} CPUs is out of range", cpus);
    }
    v.quota_us = std::max(kMinMeasureQuotaUs, std::llround(cpus * static_cast<double>(kMeasurePeriodUs)));
    v.controllers.push_back("cpu");
  }
  if (limits.cpuset) {
    const auto parsed = parse_cpu_list(*limits.cpuset);
    if (!parsed.ok() || parsed.cpus.empty()) return "CPU list " + excerpt(*limits.cpuset) + " is not valid";
    v.cpus = format_cpu_list(parsed.cpus);
    v.controllers.push_back("cpuset");
  }
  if (limits.memory_bytes) {
    if (*limits.memory_bytes <= 0)
      return fmt::format("a memory limit of {} bytes is out of range", *limits.memory_bytes);
    v.memory_bytes = *limits.memory_bytes;
    v.controllers.push_back("memory");
  }
  return v.controllers.empty() ? "no limits asked for" : "";
}

/// A single path component: no slash, NUL, "." or "..".
bool is_plain_name(const std::string& name) {
  return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
         name.find_first_of(std::string("/\0", 2)) == std::string::npos;
}

/// `path` relative to the mount's `root` ("/" for the root itself); nullopt when it is
/// not below it or climbs with "..", which could lead out of the hierarchy.
std::optional<std::string> below_root(const std::string& path, const std::string& root) {
  if (path.empty() || path.front() != '/' || path.find('\0') != std::string::npos) return std::nullopt;
  for (const auto part : split(path, '/')) {
    if (part == "..") return std::nullopt;
  }
  if (root == "/") return path;
  if (path == root) return std::string("/");
  if (!starts_with(path, root) || path[root.size()] != '/') return std::nullopt;
  return path.substr(root.size());
}

/// This process's directory in one hierarchy.
struct Placement {
  int hierarchy_id = 0;
  std::string cgroup_path;               ///< as /proc/self/cgroup names it
  std::string own_dir;                   ///< absolute directory of this process's cgroup
  std::vector<std::string> controllers;  ///< the ones asked for that live here
};

/// The mount of `line`'s hierarchy (v1 with `controller`, or v2) that holds its path.
std::optional<Placement> place(const CgroupLine& line, const std::vector<MountEntry>& mounts,
                               const std::string& controller) {
  for (const auto& m : mounts) {
    const bool match =
        controller.empty() ? m.fstype == "cgroup2" : m.fstype == "cgroup" && has(m.super_options, controller);
    if (!match) continue;
    if (const auto rel = below_root(line.path, m.root)) {
      return Placement{line.hierarchy_id, line.path, join_path(m.mount_point, *rel), {}};
    }
  }
  return std::nullopt;
}

/// The v1 placement of every controller asked for, grouped by hierarchy (co-mounted
/// controllers share one); `missing` gets the controllers no v1 hierarchy carries.
std::vector<Placement> place_v1(const std::vector<CgroupLine>& lines, const std::vector<MountEntry>& mounts,
                                const Values& v, std::vector<std::string>& missing) {
  std::vector<Placement> out;
  for (const auto& c : v.controllers) {
    const auto line = std::find_if(lines.begin(), lines.end(),
                                   [&](const CgroupLine& l) { return l.hierarchy_id != 0 && has(l.controllers, c); });
    auto p = line == lines.end() ? std::nullopt : place(*line, mounts, c);
    if (!p) {
      missing.push_back(c);
      continue;
    }
    const auto same =
        std::find_if(out.begin(), out.end(), [&](const Placement& o) { return o.hierarchy_id == p->hierarchy_id; });
    if (same != out.end()) {
      same->controllers.push_back(c);
    } else {
      p->controllers.push_back(c);
      out.push_back(std::move(*p));
    }
  }
  return out;
}

/// Checks that the CPUs asked for lie inside the parent's `cpus_file` (when readable):
/// a v1 child may not exceed them, and a v2 child would silently get fewer.
std::string check_cpus_within(const Values& v, const std::string& cpus_file, const CgroupFileReader& read_file) {
  const auto text = read_file(cpus_file);
  if (!text) return "";
  const auto parent = parse_cpu_list(*text);
  if (!parent.ok() || parent.cpus.empty()) return "";
  const auto asked = parse_cpu_list(v.cpus).cpus;
  if (intersect(asked, parent.cpus) == asked) return "";
  return fmt::format("CPUs {} are not all in this process's cpuset {} ({})", v.cpus, format_cpu_list(parent.cpus),
                     cpus_file);
}

/// v1 cpuset.mems of the parent, checked: a cpuset without memory nodes takes no tasks.
std::string parent_mems(const std::string& own_dir, const CgroupFileReader& read_file, std::string& mems) {
  const auto path = join_path(own_dir, "cpuset.mems");
  const auto text = read_file(path);
  if (!text) return "cannot read " + path;
  const auto nodes = parse_cpu_list(*text);
  if (!nodes.ok() || nodes.cpus.empty()) return path + " holds no memory node list: " + excerpt(*text);
  mems = format_cpu_list(nodes.cpus);
  return "";
}

std::string memory_text(long long bytes) {
  constexpr long long kMiB = 1LL << 20;
  if (bytes % (kMiB << 10) == 0) return fmt::format("{} GiB", bytes / (kMiB << 10));
  if (bytes % kMiB == 0) return fmt::format("{} MiB", bytes / kMiB);
  return fmt::format("{} bytes", bytes);
}

/// "quota 0.50 CPUs, CPUs 0, memory limit 512 MiB" for the controllers given.
std::string limits_text(const Values& v, const std::vector<std::string>& controllers) {
  std::vector<std::string> parts;
  if (has(controllers, "cpu")) {
    parts.push_back(
        fmt::format("quota {:.2f} CPUs", static_cast<double>(v.quota_us) / static_cast<double>(kMeasurePeriodUs)));
  }
  if (has(controllers, "cpuset")) parts.push_back("CPUs " + v.cpus);
  if (has(controllers, "memory")) parts.push_back("memory limit " + memory_text(v.memory_bytes));
  return join(parts, ", ");
}

/// The files that carry `controller`'s limit in `version` (1 or 2), in write order; a v1
/// cpuset needs its memory nodes (`mems`) before anyone can join.
void add_files(const Values& v, const std::string& controller, int version, const std::string& mems,
               CgroupPlan::Dir& dir) {
  if (controller == "cpu" && version == 1) {
    dir.files.emplace_back("cpu.cfs_period_us", std::to_string(kMeasurePeriodUs));
    dir.files.emplace_back("cpu.cfs_quota_us", std::to_string(v.quota_us));
  }
  if (controller == "cpu" && version == 2)
    dir.files.emplace_back("cpu.max", fmt::format("{} {}", v.quota_us, kMeasurePeriodUs));
  if (controller == "cpuset") dir.files.emplace_back("cpuset.cpus", v.cpus);
  if (controller == "cpuset" && version == 1) dir.files.emplace_back("cpuset.mems", mems);
  if (controller == "memory")
    dir.files.emplace_back(version == 1 ? "memory.limit_in_bytes" : "memory.max", std::to_string(v.memory_bytes));
}

void plan_v1(const std::vector<Placement>& places, const Values& v, const std::string& name,
             const CgroupFileReader& read_file, CgroupPlan& plan) {
  std::vector<std::string> described;
  for (const auto& p : places) {
    std::string mems;
    if (has(p.controllers, "cpuset")) {
      plan.error = check_cpus_within(v, join_path(p.own_dir, "cpuset.cpus"), read_file);
      if (plan.error.empty()) plan.error = parent_mems(p.own_dir, read_file, mems);
      if (!plan.error.empty()) return;
    }
    CgroupPlan::Dir dir{join_path(p.own_dir, name), {}, true};
    for (const auto& c : p.controllers) add_files(v, c, 1, mems, dir);
    plan.dirs.push_back(std::move(dir));
    described.push_back(fmt::format("{}:{} ({})", join(p.controllers, ","), join_path(p.cgroup_path, name),
                                    limits_text(v, p.controllers)));
  }
  plan.version = "v1";
  plan.description = "cgroup v1 " + join(described, ", ");
}

/// The v2 controllers asked for that the parent offers (cgroup.controllers); "" or why not.
std::string check_v2_controllers(const Placement& p, const Values& v, const CgroupFileReader& read_file) {
  const auto path = join_path(p.own_dir, "cgroup.controllers");
  const auto text = read_file(path);
  if (!text) return "cannot read " + path;
  const auto offered = split_ws(trim(*text));
  std::vector<std::string> missing;
  for (const auto& c : v.controllers) {
    if (std::find(offered.begin(), offered.end(), c) == offered.end()) missing.push_back(c);
  }
  if (missing.empty()) return "";
  return fmt::format("no cgroup v1 {} hierarchy, and cgroup v2 does not offer the {} controller{} here ({} lists {})",
                     join(missing, "/"), join(missing, ", "), missing.size() > 1 ? "s" : "", path,
                     offered.empty() ? "none" : excerpt(*text));
}

void plan_v2(const Placement& p, const Values& v, const std::string& name, const CgroupFileReader& read_file,
             CgroupPlan& plan) {
  plan.error = check_v2_controllers(p, v, read_file);
  if (plan.error.empty() && has(v.controllers, "cpuset")) {
    plan.error = check_cpus_within(v, join_path(p.own_dir, "cpuset.cpus.effective"), read_file);
  }
  if (!plan.error.empty()) return;
  const auto enabled_text = read_file(join_path(p.own_dir, "cgroup.subtree_control"));
  const auto enabled = split_ws(enabled_text ? trim(*enabled_text) : std::string_view());
  std::vector<std::string> enable;
  for (const auto& c : v.controllers) {
    if (std::find(enabled.begin(), enabled.end(), c) == enabled.end()) enable.push_back("+" + c);
  }
  if (!enable.empty()) plan.dirs.push_back({p.own_dir, {{"cgroup.subtree_control", join(enable, " ")}}, false});
  CgroupPlan::Dir dir{join_path(p.own_dir, name), {}, true};
  for (const auto& c : v.controllers) add_files(v, c, 2, "", dir);
  plan.dirs.push_back(std::move(dir));
  plan.version = "v2";
  plan.description = fmt::format("cgroup v2 {} ({})", join_path(p.cgroup_path, name), limits_text(v, v.controllers));
}

void plan_into(const std::string& mountinfo_text, const std::string& proc_self_cgroup_text, const Values& v,
               const std::string& name, const CgroupFileReader& read_file, CgroupPlan& plan) {
  const auto lines = parse_proc_cgroup(proc_self_cgroup_text);
  const auto mounts = visible_mounts(parse_mountinfo(mountinfo_text));
  std::vector<std::string> missing;
  const auto v1 = place_v1(lines, mounts, v, missing);
  if (missing.empty()) return plan_v1(v1, v, name, read_file, plan);
  if (!v1.empty()) {
    plan.error = fmt::format(
        "no cgroup v1 hierarchy with the {} controller for this process (the other limits are "
        "on v1; mixing v1 and v2 controllers is not supported)",
        join(missing, ", "));
    return;
  }
  const auto v2_line = std::find_if(lines.begin(), lines.end(),
                                    [](const CgroupLine& l) { return l.hierarchy_id == 0 && l.controllers.empty(); });
  const auto v2 = v2_line == lines.end() ? std::nullopt : place(*v2_line, mounts, "");
  if (!v2) {
    plan.error = fmt::format("no cgroup v1 {} hierarchy or cgroup v2 mount for this process here", join(missing, "/"));
    return;
  }
  plan_v2(*v2, v, name, read_file, plan);
}

// ---- Creating and removing --------------------------------------------------------

std::string errno_hint(int error) {
  if ((error == EACCES || error == EPERM) && ::geteuid() != 0) return " (not running as root)";
  return "";
}

/// Writes `value` to `path`; "" or what failed, with `busy_hint` added for EBUSY.
std::string write_value(const std::string& path, const std::string& value, const char* busy_hint = "") {
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  const int error = fd.ok() ? write_all(fd.get(), value) : errno;
  if (error == 0) return "";
  return fmt::format("write '{}' to {}: {}{}", value, path, std::strerror(error),
                     error == EBUSY ? busy_hint : errno_hint(error));
}

/// rmdir, retrying EBUSY for about a second (a reaped child can linger in the group
/// for a moment). 0 when the directory is gone, else the errno.
int remove_dir(const std::string& path) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (true) {
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return 0;
    const int error = errno;
    if (error != EBUSY || std::chrono::steady_clock::now() >= until) return error;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

constexpr std::string_view kNamePrefix = "torchdiag-measure-";

/// Removes the empty cgroups a torchdiag killed before it could clean up left beside
/// `dir`: "torchdiag-measure-PID[-N]" of a PID that no longer runs. rmdir removes only an
/// empty cgroup, so nothing in use is touched.
void remove_stale_siblings(const std::string& dir) {
  const auto parent = parent_path(dir);
  for (const auto& name : FsReader().list_dir(parent)) {
    if (!starts_with(name, kNamePrefix)) continue;
    const auto rest = std::string_view(name).substr(kNamePrefix.size());
    const auto pid = parse_int(rest.substr(0, rest.find('-')));
    if (!pid || *pid <= 0 || *pid == ::getpid() || *pid > std::numeric_limits<pid_t>::max()) continue;
    if (::kill(static_cast<pid_t>(*pid), 0) == 0 || errno != ESRCH) continue;
    ::rmdir(join_path(parent, name).c_str());
  }
}

std::string unique_name() {
  static std::atomic<int> count{0};
  const int n = ++count;
  const std::string base = std::string(kNamePrefix) + std::to_string(::getpid());
  return n == 1 ? base : base + "-" + std::to_string(n);
}

}  // namespace

CgroupPlan plan_measure_cgroup(const std::string& mountinfo_text, const std::string& proc_self_cgroup_text,
                               const CgroupLimits& limits, const std::string& name, const CgroupFileReader& read_file) {
  CgroupPlan plan;
  Values v;
  plan.error = check_limits(limits, v);
  if (plan.error.empty() && !is_plain_name(name)) plan.error = "cgroup name " + excerpt(name) + " is not a plain name";
  if (plan.error.empty()) plan_into(mountinfo_text, proc_self_cgroup_text, v, name, read_file, plan);
  if (!plan.ok()) {
    plan.dirs.clear();
    plan.version.clear();
    plan.description.clear();
  }
  plan.error = printable(plan.error);
  plan.description = printable(plan.description);
  return plan;
}

std::unique_ptr<MeasureCgroup> MeasureCgroup::create(const CgroupLimits& limits) {
  const FsReader fs;
  const auto mountinfo_path = join_path(paths::proc_dir(), "mountinfo");
  const auto cgroup_path = join_path(paths::proc_dir(), "cgroup");
  const auto mountinfo = fs.read(mountinfo_path);
  const auto cgroup = fs.read(cgroup_path);
  CgroupPlan plan;
  if (!mountinfo.ok()) plan.error = mountinfo_path + ": " + mountinfo.error;
  if (!cgroup.ok()) plan.error = cgroup_path + ": " + cgroup.error;
  if (plan.ok()) {
    plan = plan_measure_cgroup(mountinfo.text, cgroup.text, limits, unique_name(),
                               [&fs](const std::string& path) -> std::optional<std::string> {
                                 auto f = fs.read(path);
                                 if (!f.ok()) return std::nullopt;
                                 return std::move(f.text);
                               });
  }
  return create_from_plan(plan);
}

std::unique_ptr<MeasureCgroup> MeasureCgroup::create_from_plan(const CgroupPlan& plan) {
  std::unique_ptr<MeasureCgroup> cg(new MeasureCgroup());
  cg->why_ = plan.error;
  cg->description_ = plan.description;
  if (plan.ok() && plan.dirs.empty()) cg->why_ = "the plan creates no cgroup";
  for (const auto& dir : plan.dirs) {
    if (!cg->ok()) break;
    if (dir.create) {
      remove_stale_siblings(dir.path);
      if (::mkdir(dir.path.c_str(), 0755) != 0) {
        const int error = errno;
        cg->why_ = fmt::format("mkdir {}: {}{}", dir.path, std::strerror(error), errno_hint(error));
        break;
      }
      cg->created_.push_back(dir.path);
    }
    for (const auto& [file, value] : dir.files) {
      cg->why_ = write_value(join_path(dir.path, file), value, dir.create ? "" : kInternalProcesses);
      if (!cg->ok()) break;
    }
  }
  if (!cg->ok()) cg->remove();
  return cg;
}

MeasureCgroup::~MeasureCgroup() { remove(); }

std::vector<std::string> MeasureCgroup::procs_files() const {
  std::vector<std::string> out;
  if (!ok()) return out;
  for (const auto& dir : created_) out.push_back(join_path(dir, "cgroup.procs"));
  return out;
}

std::string MeasureCgroup::remove() {
  std::vector<std::string> errors;
  std::vector<std::string> left;  // in creation order, for another try
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    if (const int error = remove_dir(*it); error != 0) {
      errors.push_back(fmt::format("rmdir {}: {}", *it, std::strerror(error)));
      left.insert(left.begin(), *it);
    }
  }
  created_ = std::move(left);
  return join(errors, "; ");
}

std::string join_measure_cgroup(const std::vector<std::string>& procs_files, int pid) {
  // Writing 0 would move the writer itself.
  if (pid <= 0) return fmt::format("cannot move process {} into a cgroup", pid);
  if (procs_files.empty()) return "no cgroup to join";
  for (const auto& path : procs_files) {
    if (auto why = write_value(path, std::to_string(pid)); !why.empty()) return why;
  }
  return "";
}

}  // namespace torchdiag
