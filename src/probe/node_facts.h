#pragma once
// What differs between nodes beyond CPU counts (model/node_facts.h): pure parsers of
// proc/cmdline, os-release, proc/cpuinfo and the sysfs "[selected]" files, and the probe
// that reads them all through an FsReader (the container guess is in pod_identity.h).
// Every input is hostile (a snapshot may come from anywhere): values are trimmed, made
// printable and valid UTF-8, and cut at kMaxNodeValueChars; parsers are linear.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/node_facts.h"
#include "probe/pod_identity.h"
#include "sys/fs_reader.h"

namespace torchdiag {

/// Longest value kept from any file read here (longer ones are cut).
inline constexpr size_t kMaxNodeValueChars = 200;

/// The flags of proc/cmdline (Documentation/admin-guide/kernel-parameters.txt) that
/// change scheduling or mitigations, each as written ("mitigations=off", "nosmt",
/// "isolcpus=2-7"), in command-line order; at most 64. Names match with '-' and '_'
/// interchangeable, as the kernel does; parsing stops at "--" (the rest goes to init).
std::vector<std::string> parse_boot_flags(std::string_view cmdline);

/// os-release(5): PRETTY_NAME without quotes, else NAME and VERSION_ID joined by a
/// space ("Debian GNU/Linux 12"); nullopt when neither name is there.
std::optional<std::string> parse_os_release(std::string_view text);

/// The first processor block of proc/cpuinfo (up to the first blank line). Every
/// string is "" when its line is absent.
struct CpuinfoBlock {
  std::string model;         ///< "model name"; on ARM without one "implementer 0x41 part 0xd0c"
  std::string vendor;        ///< vendor_id; on ARM the implementer's name ("ARM", "Ampere", or "implementer 0x..")
  std::string family_model;  ///< "family 6 model 143 stepping 8" (x86 only)
  std::string microcode;     ///< "0x2b000590" (x86 only)
  /// Flags of interest, sorted: avx, avx2, avx512*, amx*, fma, f16c, ssbd, hypervisor,
  /// ibrs, ibpb, stibp, md_clear, arch_capabilities from "flags"; asimd, sve, sve2,
  /// bf16, i8mm from ARM's "Features". nullopt when the block has neither line.
  std::optional<std::vector<std::string>> flags;
  /// Whether "flags" lists "hypervisor"; nullopt without an x86 "flags" line (ARM guests
  /// show no such flag, so its absence there proves nothing).
  std::optional<bool> hypervisor_flag;
};

/// Parses the first processor block; never fails (garbage yields empty fields).
CpuinfoBlock parse_cpuinfo(std::string_view text);

/// The bracketed word of a sysfs choice file: "always [madvise] never" -> "madvise";
/// nullopt when there is no non-empty "[...]".
std::optional<std::string> parse_bracketed_choice(std::string_view text);

/// Reads every node fact through `fs`: kernel, boot flags, OS, CPU, frequency policy,
/// mitigations, THP and sched_* sysctls, and the speculation and seccomp state of the
/// process whose proc directory is `proc_dir` (paths::proc_dir(pid)) and whose cgroup
/// path is `cgroup_path`. Never throws; a missing or malformed file becomes an
/// unavailable fact with its reason and path.
NodeFacts probe_node(const FsReader& fs, const std::string& proc_dir, std::string_view cgroup_path);

}  // namespace torchdiag
