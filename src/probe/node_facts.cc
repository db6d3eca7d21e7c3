#include "probe/node_facts.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <utility>

#include "probe/process_status.h"
#include "sys/kernel_paths.h"
#include "util/cpu_list.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

// Not kernel files: the container's own OS (os-release(5)).
const std::string kEtcOsRelease = "/etc/os-release";
const std::string kUsrLibOsRelease = "/usr/lib/os-release";

constexpr size_t kMaxBootFlags = 64;
constexpr size_t kMaxFlags = 64;
constexpr size_t kMaxFlagChars = 32;
constexpr size_t kMaxVulnerabilities = 64;
constexpr size_t kMaxSchedTunables = 64;
constexpr size_t kMaxFrequencyCpus = 4096;

/// Trimmed, control characters replaced, valid UTF-8, at most `max` bytes (cut on a
/// character boundary: a replacement character takes three bytes).
std::string clean(std::string_view v, size_t max = kMaxNodeValueChars) {
  v = trim(v);
  auto out = sanitize_utf8(printable(v.substr(0, std::min(v.size(), max))));
  if (out.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

/// Parameter names (with their '=' when they take a value), space-separated and padded.
constexpr std::string_view kBootFlags =
    " mitigations= spec_store_bypass_disable= spectre_v2= spectre_v2_user= nospectre_v1 nospectre_v2"
    " nospec_store_bypass_disable pti= nopti mds= tsx_async_abort= retbleed= l1tf= nosmt nosmt= isolcpus="
    " nohz_full= rcu_nocbs= intel_pstate= amd_pstate= processor.max_cstate= intel_idle.max_cstate= idle="
    " transparent_hugepage= maxcpus= nr_cpus= threadirqs ";

bool boot_flag_of_interest(std::string_view token) {
  const auto eq = token.find('=');
  const size_t name_end = eq == std::string_view::npos ? token.size() : eq + 1;  // with its '='
  if (name_end == 0 || name_end > 32) return false;
  // The kernel treats '-' and '_' alike in parameter names (kernel/params.c, parameqn).
  std::string name = " " + std::string(token.substr(0, name_end)) + " ";
  std::replace(name.begin(), name.end(), '-', '_');
  return kBootFlags.find(name) != std::string_view::npos;
}

/// A flag name as the kernel prints them: lower-case letters, digits and '_'.
bool flag_word(std::string_view f) {
  return !f.empty() && f.size() <= kMaxFlagChars && std::all_of(f.begin(), f.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool x86_flag_of_interest(std::string_view f) {
  static constexpr std::string_view kExact[] = {
      "avx", "avx2", "fma", "f16c", "ssbd", "hypervisor", "ibrs", "ibpb", "stibp", "md_clear", "arch_capabilities"};
  return starts_with(f, "avx512") || starts_with(f, "amx") ||
         std::find(std::begin(kExact), std::end(kExact), f) != std::end(kExact);
}

bool arm_flag_of_interest(std::string_view f) {
  return f == "asimd" || f == "sve" || f == "sve2" || f == "bf16" || f == "i8mm";
}

/// Flags of `line` that `keep` accepts, sorted and unique, at most kMaxFlags.
template <class Keep>
std::vector<std::string> filter_flags(std::string_view line, Keep keep) {
  std::set<std::string> kept;
  for (const auto f : split_ws(line)) {
    if (kept.size() >= kMaxFlags) break;
    if (flag_word(f) && keep(f)) kept.emplace(f);
  }
  return {kept.begin(), kept.end()};
}

/// arch/arm64/include/asm/cputype.h ARM_CPU_IMP_*, and Samsung from util-linux lscpu.
std::string arm_implementer_name(std::string_view hex) {
  static const std::pair<std::string_view, std::string_view> kNames[] = {
      {"0x41", "ARM"},       {"0x42", "Broadcom"}, {"0x43", "Cavium"},    {"0x46", "Fujitsu"},
      {"0x48", "HiSilicon"}, {"0x4e", "NVIDIA"},   {"0x50", "APM"},       {"0x51", "Qualcomm"},
      {"0x53", "Samsung"},   {"0x61", "Apple"},    {"0x6d", "Microsoft"}, {"0xc0", "Ampere"}};
  std::string lower = clean(hex, 16);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  for (const auto& [code, name] : kNames) {
    if (lower == code) return std::string(name);
  }
  return "implementer " + lower;
}

/// "a b" from the non-empty ones of `parts` (label, value) as "label value".
std::string labelled(std::initializer_list<std::pair<const char*, std::string_view>> parts) {
  std::vector<std::string> out;
  for (const auto& [label, value] : parts) {
    if (!trim(value).empty()) out.push_back(std::string(label) + " " + clean(value, 32));
  }
  return join(out, " ");
}

/// The cpuinfo lines the parser uses, indexed by CpuinfoKey.
enum CpuinfoKey {
  kModelName,
  kVendorId,
  kFamily,
  kModel,
  kStepping,
  kMicrocode,
  kFlags,
  kImplementer,
  kPart,
  kFeatures,
  kKeys
};
constexpr std::string_view kCpuinfoKeys[kKeys] = {"model name", "vendor_id", "cpu family",      "model",    "stepping",
                                                  "microcode",  "flags",     "CPU implementer", "CPU part", "Features"};
using CpuinfoLines = std::array<std::string_view, kKeys>;

/// The first processor block's values (the first line of each key wins); linear.
CpuinfoLines first_block(std::string_view text) {
  CpuinfoLines lines;
  std::array<bool, kKeys> seen{};
  bool started = false;
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    const auto line = text.substr(pos, end - pos);
    pos = end + 1;
    if (trim(line).empty()) {
      if (started) break;
      continue;
    }
    started = true;
    const auto colon = line.find(':');
    const auto key = trim(line.substr(0, colon));
    const auto* at = std::find(std::begin(kCpuinfoKeys), std::end(kCpuinfoKeys), key);
    if (colon == std::string_view::npos || at == std::end(kCpuinfoKeys)) continue;
    const auto k = static_cast<size_t>(at - std::begin(kCpuinfoKeys));
    if (!std::exchange(seen[k], true)) lines[k] = trim(line.substr(colon + 1));
  }
  return lines;
}

}  // namespace

std::vector<std::string> parse_boot_flags(std::string_view cmdline) {
  std::vector<std::string> out;
  for (const auto token : split_ws(cmdline)) {
    if (out.size() >= kMaxBootFlags || trim(token) == "--") break;  // after "--": init's arguments
    if (boot_flag_of_interest(trim(token))) out.push_back(clean(token));
  }
  return out;
}

std::optional<std::string> parse_os_release(std::string_view text) {
  std::string_view pretty, name, version;
  for (const auto raw : split(text, '\n')) {
    const auto line = trim(raw);
    const auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string_view::npos) continue;
    auto value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'') && value.back() == value[0]) {
      value = value.substr(1, value.size() - 2);
    }
    const auto key = line.substr(0, eq);
    if (key == "PRETTY_NAME") pretty = value;  // shell semantics: the last assignment wins
    if (key == "NAME") name = value;
    if (key == "VERSION_ID") version = value;
  }
  // Shell escapes (\" \\ \$ \`) are dropped to their character.
  const auto unescape = [](std::string_view v) {
    std::string out;
    for (size_t i = 0; i < v.size() && out.size() < kMaxNodeValueChars; ++i)
      out += v[i] == '\\' && i + 1 < v.size() ? v[++i] : v[i];
    return clean(out);
  };
  if (auto p = unescape(pretty); !p.empty()) return p;
  auto n = unescape(name);
  if (n.empty()) return std::nullopt;
  const auto v = unescape(version);
  return v.empty() ? n : clean(n + " " + v);  // the two together are cut again
}

CpuinfoBlock parse_cpuinfo(std::string_view text) {
  const auto lines = first_block(text);
  CpuinfoBlock out;
  out.model = clean(lines[kModelName]);
  if (out.model.empty()) out.model = labelled({{"implementer", lines[kImplementer]}, {"part", lines[kPart]}});
  out.vendor = clean(lines[kVendorId]);
  if (out.vendor.empty() && !lines[kImplementer].empty()) out.vendor = arm_implementer_name(lines[kImplementer]);
  out.family_model = labelled({{"family", lines[kFamily]}, {"model", lines[kModel]}, {"stepping", lines[kStepping]}});
  if (lines[kFamily].empty()) out.family_model.clear();  // ARM's "model name" has no family: not this field
  out.microcode = clean(lines[kMicrocode], 32);
  if (!lines[kFlags].empty()) {
    out.flags = filter_flags(lines[kFlags], x86_flag_of_interest);
    out.hypervisor_flag = std::binary_search(out.flags->begin(), out.flags->end(), "hypervisor");
  } else if (!lines[kFeatures].empty()) {
    out.flags = filter_flags(lines[kFeatures], arm_flag_of_interest);
  }
  return out;
}

std::optional<std::string> parse_bracketed_choice(std::string_view text) {
  const auto open = text.find('[');
  if (open == std::string_view::npos) return std::nullopt;
  const auto close = text.find(']', open);
  if (close == std::string_view::npos) return std::nullopt;
  auto word = clean(text.substr(open + 1, close - open - 1), 64);
  if (word.empty()) return std::nullopt;
  return word;
}

namespace {

/// A one-line file, cleaned; unavailable when unreadable or empty.
Fact<std::string> read_line(const FsReader& fs, const std::string& path) {
  const auto f = fs.read(path);
  if (!f.ok()) return Fact<std::string>::unavailable(f.error, path);
  auto v = clean(f.text);
  if (v.empty()) return Fact<std::string>::unavailable("empty file", path);
  return Fact<std::string>::known(std::move(v), path);
}

Fact<std::string> read_choice(const FsReader& fs, const std::string& path) {
  const auto f = fs.read(path);
  if (!f.ok()) return Fact<std::string>::unavailable(f.error, path);
  if (auto word = parse_bracketed_choice(f.text)) return Fact<std::string>::known(std::move(*word), path);
  return Fact<std::string>::unavailable("no [selected] value", path);
}

Fact<std::string> read_os(const FsReader& fs) {
  auto f = fs.read(kEtcOsRelease);
  const auto* path = &kEtcOsRelease;
  if (!f.ok()) {
    const auto fallback = fs.read(kUsrLibOsRelease);
    if (!fallback.ok()) return Fact<std::string>::unavailable(f.error, kEtcOsRelease);
    f = fallback;
    path = &kUsrLibOsRelease;
  }
  if (auto name = parse_os_release(f.text)) return Fact<std::string>::known(std::move(*name), *path);
  return Fact<std::string>::unavailable("no PRETTY_NAME or NAME", *path);
}

void probe_cpu(const FsReader& fs, NodeFacts& out) {
  const auto& path = paths::kCpuinfo;
  const auto f = fs.read(path);
  const auto block = parse_cpuinfo(f.ok() ? std::string_view(f.text) : std::string_view());
  const auto fact = [&](std::string v, const char* missing) {
    if (!f.ok() || v.empty()) return Fact<std::string>::unavailable(f.ok() ? missing : f.error, path);
    return Fact<std::string>::known(std::move(v), path);
  };
  out.cpu_model = fact(block.model, "no model name or CPU part line");
  out.cpu_vendor = fact(block.vendor, "no vendor_id or CPU implementer line");
  out.cpu_family_model = fact(block.family_model, "no cpu family line (not x86)");
  out.microcode = fact(block.microcode, "no microcode line (not x86, or a VM that hides it)");
  out.cpu_flags =
      block.flags ? Fact<std::vector<std::string>>::known(*block.flags, path)
                  : Fact<std::vector<std::string>>::unavailable(f.ok() ? "no flags or Features line" : f.error, path);
  if (auto type = read_line(fs, paths::kHypervisorType); type.ok()) {
    out.hypervisor = std::move(type);
  } else if (block.hypervisor_flag) {
    out.hypervisor = Fact<std::string>::known(*block.hypervisor_flag ? "yes (type unknown)" : "none", path);
  } else {
    out.hypervisor =
        Fact<std::string>::unavailable("no hypervisor type file and no x86 flags line", paths::kHypervisorType);
  }
}

std::optional<long long> read_khz(const FsReader& fs, const std::string& path) {
  const auto f = fs.read(path);
  const auto v = f.ok() ? parse_int(trim(f.text)) : std::nullopt;
  return v && *v >= 0 ? v : std::nullopt;
}

/// Documentation/admin-guide/pm/cpufreq.rst: cpuN/cpufreq/scaling_*.
Fact<std::vector<CpuFrequency>> probe_frequency(const FsReader& fs) {
  using Result = Fact<std::vector<CpuFrequency>>;
  const auto online_path = paths::kCpuDir + "/online";
  const auto f = fs.read(online_path);
  if (!f.ok()) return Result::unavailable(f.error, online_path);
  const auto online = parse_cpu_list(f.text);
  if (!online.ok() || online.cpus.empty())
    return Result::unavailable(online.ok() ? "no online CPUs" : online.error, online_path);
  std::vector<CpuFrequency> out;
  for (size_t i = 0; i < online.cpus.size() && i < kMaxFrequencyCpus; ++i) {
    const int cpu = online.cpus[i];
    const auto dir = paths::kCpuDir + "/cpu" + std::to_string(cpu) + "/cpufreq";
    if (!fs.is_dir(dir)) continue;
    CpuFrequency c;
    c.cpu = cpu;
    if (const auto g = fs.read(dir + "/scaling_governor"); g.ok()) c.governor = clean(g.text, 64);
    if (const auto d = fs.read(dir + "/scaling_driver"); d.ok()) c.driver = clean(d.text, 64);
    c.min_khz = read_khz(fs, dir + "/scaling_min_freq");
    c.max_khz = read_khz(fs, dir + "/scaling_max_freq");
    c.cur_khz = read_khz(fs, dir + "/scaling_cur_freq");
    out.push_back(std::move(c));
  }
  if (out.empty()) {
    return Result::unavailable("no cpufreq (common on VMs)",
                               paths::kCpuDir + "/cpu" + std::to_string(online.cpus[0]) + "/cpufreq");
  }
  return Result::known(std::move(out), paths::kCpuDir);
}

/// Documentation/admin-guide/pm/intel_pstate.rst and amd-pstate.rst: status.
Fact<std::string> probe_pstate(const FsReader& fs) {
  for (const auto* path : {&paths::kIntelPstateStatus, &paths::kAmdPstateStatus}) {
    if (const auto f = fs.read(*path); f.ok()) {
      const auto driver = path == &paths::kIntelPstateStatus ? "intel_pstate" : "amd_pstate";
      const auto status = clean(f.text, 64);
      return Fact<std::string>::known(status.empty() ? driver : driver + (" " + status), *path);
    }
  }
  return Fact<std::string>::unavailable("neither intel_pstate nor amd_pstate is active", paths::kIntelPstateStatus);
}

/// Documentation/ABI/testing/sysfs-devices-system-cpu: vulnerabilities/<name>.
Fact<std::map<std::string, std::string>> probe_vulnerabilities(const FsReader& fs) {
  using Result = Fact<std::map<std::string, std::string>>;
  const auto& dir = paths::kVulnerabilitiesDir;
  if (!fs.is_dir(dir)) return Result::unavailable("no such directory (kernels before 4.15 have none)", dir);
  std::map<std::string, std::string> out;
  for (const auto& name : fs.list_dir(dir)) {
    if (out.size() >= kMaxVulnerabilities) break;
    if (const auto f = fs.read(join_path(dir, name)); f.ok()) out[clean(name, 64)] = clean(f.text);
  }
  if (out.empty()) return Result::unavailable("no readable files", dir);
  return Result::known(std::move(out), dir);
}

/// proc(5) /proc/PID/status: Speculation_Store_Bypass, SpeculationIndirectBranch, Seccomp.
void probe_process_state(const FsReader& fs, const std::string& proc_dir, NodeFacts& out) {
  const auto path = join_path(proc_dir, "status");
  const auto f = fs.read(path);
  const auto field = [&](const char* name) {
    if (!f.ok()) return Fact<std::string>::unavailable(f.error, path);
    const auto v = status_field(f.text, name);
    if (!v) return Fact<std::string>::unavailable("the kernel does not report it", path);
    return Fact<std::string>::known(clean(*v), path);
  };
  out.speculation_store_bypass = field("Speculation_Store_Bypass");
  out.speculation_indirect_branch = field("SpeculationIndirectBranch");
  const auto seccomp = field("Seccomp");
  const auto mode = seccomp.ok() ? parse_int(*seccomp.value) : std::nullopt;
  if (!seccomp.ok()) {
    out.seccomp_mode = Fact<int>::unavailable(seccomp.reason, path);
  } else if (!mode || *mode < 0 || *mode > 2) {
    out.seccomp_mode = Fact<int>::unavailable("Seccomp is not 0, 1 or 2", path);
  } else {
    out.seccomp_mode = Fact<int>::known(static_cast<int>(*mode), path);
  }
}

/// Documentation/admin-guide/sysctl/kernel.rst: the sched_* files that are readable.
std::map<std::string, std::string> probe_sched_tunables(const FsReader& fs) {
  std::map<std::string, std::string> out;
  for (const auto& name : fs.list_dir(paths::kKernelSysctlDir)) {
    if (out.size() >= kMaxSchedTunables) break;
    if (!starts_with(name, "sched_")) continue;
    if (const auto f = fs.read(join_path(paths::kKernelSysctlDir, name)); f.ok()) out[clean(name, 64)] = clean(f.text);
  }
  return out;
}

}  // namespace

NodeFacts probe_node(const FsReader& fs, const std::string& proc_dir, std::string_view cgroup_path) {
  NodeFacts out;
  out.kernel_release = read_line(fs, paths::kOsRelease);
  out.kernel_version = read_line(fs, paths::kKernelVersion);
  if (const auto cmdline = fs.read(paths::kCmdline); cmdline.ok()) {
    out.boot_flags = Fact<std::vector<std::string>>::known(parse_boot_flags(cmdline.text), paths::kCmdline);
  } else {
    out.boot_flags = Fact<std::vector<std::string>>::unavailable(cmdline.error, paths::kCmdline);
  }
  out.os = read_os(fs);
  probe_cpu(fs, out);
  out.frequency = probe_frequency(fs);
  out.pstate = probe_pstate(fs);
  out.smt_control = read_line(fs, paths::kSmtControl);
  out.vulnerabilities = probe_vulnerabilities(fs);
  probe_process_state(fs, proc_dir, out);
  // read(), not exists(): `torchdiag snapshot` copies the files that were read.
  const ContainerMarkers markers{fs.read(kDockerEnvMarker).ok(), fs.read(kContainerEnvMarker).ok()};
  out.container = container_facts(cgroup_path, markers, join_path(proc_dir, "cgroup"));
  out.thp_enabled = read_choice(fs, paths::kThpEnabled);
  out.thp_defrag = read_choice(fs, paths::kThpDefrag);
  out.sched_tunables = probe_sched_tunables(fs);
  return out;
}

}  // namespace torchdiag
