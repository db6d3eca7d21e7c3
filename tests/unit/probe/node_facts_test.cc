// Node facts: the cmdline, os-release, cpuinfo and "[selected]" parsers on real and
// hostile text, the container guess from cgroup paths, and probe_node over fake roots.
#include "probe/node_facts.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "sys/kernel_paths.h"
#include "unit/probe/temp_tree.h"
#include "util/strings.h"

using namespace torchdiag;
using torchdiag::testing::TempTree;

namespace {

using Strings = std::vector<std::string>;

const std::string kUid = "0a1b2c3d-4e5f-4a6b-8c7d-0123456789ab";
const std::string kUidSystemd = "0a1b2c3d_4e5f_4a6b_8c7d_0123456789ab";
const std::string kCid = "3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e";

// Sapphire Rapids, bare metal (lscpu of a c7i-class host), first two processors.
const std::string kXeonCpuinfo =
    "processor\t: 0\n"
    "vendor_id\t: GenuineIntel\n"
    "cpu family\t: 6\n"
    "model\t\t: 143\n"
    "model name\t: Intel(R) Xeon(R) Platinum 8480+\n"
    "stepping\t: 8\n"
    "microcode\t: 0x2b000590\n"
    "cpu MHz\t\t: 2000.000\n"
    "cache size\t: 107520 KB\n"
    "physical id\t: 0\n"
    "siblings\t: 112\n"
    "fpu\t\t: yes\n"
    "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi "
    "mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon pebs bts "
    "rep_good nopl xtopology nonstop_tsc cpuid aperfmperf tsc_known_freq pni pclmulqdq dtes64 monitor "
    "ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid dca sse4_1 sse4_2 x2apic movbe popcnt "
    "tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch cpuid_fault epb cat_l3 "
    "cat_l2 cdp_l3 invpcid_single intel_ppin cdp_l2 ssbd mba ibrs ibpb stibp ibrs_enhanced tpr_shadow "
    "flexpriority ept vpid ept_ad fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid cqm rdt_a "
    "avx512f avx512dq rdseed adx smap avx512ifma clflushopt clwb intel_pt avx512cd sha_ni avx512bw "
    "avx512vl xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc split_lock_detect avx_vnni "
    "avx512_bf16 wbnoinvd dtherm ida arat pln pts hfi avx512vbmi umip pku ospke waitpkg avx512_vbmi2 "
    "gfni vaes vpclmulqdq avx512_vnni avx512_bitalg tme avx512_vpopcntdq la57 rdpid bus_lock_detect "
    "cldemote movdiri movdir64b enqcmd fsrm md_clear serialize tsxldtrk pconfig arch_lbr ibt amx_bf16 "
    "avx512_fp16 amx_tile amx_int8 flush_l1d arch_capabilities\n"
    "bugs\t\t: spectre_v1 spectre_v2 spec_store_bypass swapgs eibrs_pbrsb\n"
    "bogomips\t: 4000.00\n"
    "\n"
    "processor\t: 1\n"
    "vendor_id\t: GenuineIntel\n"
    "model name\t: NOT THE FIRST BLOCK\n"
    "microcode\t: 0xdeadbeef\n"
    "flags\t\t: fpu hypervisor avx\n"
    "\n";

// EPYC 7763 (Milan), bare metal.
const std::string kEpycCpuinfo =
    "processor\t: 0\n"
    "vendor_id\t: AuthenticAMD\n"
    "cpu family\t: 25\n"
    "model\t\t: 1\n"
    "model name\t: AMD EPYC 7763 64-Core Processor\n"
    "stepping\t: 1\n"
    "microcode\t: 0xa0011d1\n"
    "cpu MHz\t\t: 2450.000\n"
    "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr "
    "sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl nonstop_tsc cpuid "
    "extd_apicid aperfmperf rapl pni pclmulqdq monitor ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe "
    "popcnt aes xsave avx f16c rdrand lahf_lm cmp_legacy svm extapic cr8_legacy abm sse4a misalignsse "
    "3dnowprefetch osvw ibs skinit wdt tce topoext perfctr_core perfctr_nb bpext perfctr_llc mwaitx cpb "
    "cat_l3 cdp_l3 invpcid_single hw_pstate ssbd mba ibrs ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 "
    "invpcid cqm rdt_a rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves cqm_llc "
    "clzero irperf xsaveerptr rdpru wbnoinvd amd_ppin brs arat npt lbrv svm_lock nrip_save tsc_scale "
    "vmcb_clean flushbyasid decodeassists pausefilter pfthreshold v_vmsave_vmload vgif v_spec_ctrl umip "
    "pku ospke vaes vpclmulqdq rdpid overflow_recov succor smca fsrm\n"
    "bugs\t\t: sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass srso\n"
    "\n";

// Graviton3 (Neoverse V1): no "model name", no vendor_id, "Features" instead of "flags".
const std::string kNeoverseCpuinfo =
    "processor\t: 0\n"
    "BogoMIPS\t: 2100.00\n"
    "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma "
    "lrcpc dcpop sha3 sm3 sm4 asimddp sha512 sve asimdfhm dit uscat ilrcpc flagm ssbs paca pacg dcpodp "
    "svei8mm svebf16 i8mm bf16 dgh rng\n"
    "CPU implementer\t: 0x41\n"
    "CPU architecture: 8\n"
    "CPU variant\t: 0x1\n"
    "CPU part\t: 0xd40\n"
    "CPU revision\t: 1\n"
    "\n"
    "processor\t: 1\n"
    "Features\t: fp asimd sve2\n"
    "CPU implementer\t: 0xc0\n";

// A KVM guest: QEMU's named CPU model, microcode 0x1, the hypervisor flag.
const std::string kKvmCpuinfo =
    "processor\t: 0\n"
    "vendor_id\t: GenuineIntel\n"
    "cpu family\t: 6\n"
    "model\t\t: 85\n"
    "model name\t: Intel Xeon Processor (Cascadelake)\n"
    "stepping\t: 6\n"
    "microcode\t: 0x1\n"
    "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr "
    "sse sse2 ss syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology cpuid tsc_known_freq pni "
    "pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c "
    "rdrand hypervisor lahf_lm abm 3dnowprefetch cpuid_fault invpcid_single ssbd ibrs ibpb stibp "
    "ibrs_enhanced fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid avx512f avx512dq rdseed adx smap "
    "clflushopt clwb avx512cd avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves arat avx512_vnni md_clear "
    "arch_capabilities\n"
    "\n";

std::string huge(size_t bytes, char c = 'A') { return std::string(bytes, c); }

/// Every byte value, twice, with NULs and newlines among them.
std::string binary_bytes() {
  std::string out;
  for (int round = 0; round < 2; ++round) {
    for (int b = 0; b < 256; ++b) out += static_cast<char>(b);
  }
  return out;
}

bool printable_text(const std::string& s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

template <class T>
void check_unavailable(const Fact<T>& f, const char* what) {
  INFO(what << ": " << f.reason << " / " << f.path);
  CHECK_FALSE(f.ok());
  CHECK_FALSE(f.reason.empty());
  CHECK_FALSE(f.path.empty());
}

}  // namespace

// ---- parse_boot_flags ----------------------------------------------------------------

TEST_CASE("parse_boot_flags keeps the scheduling and mitigation flags as written", "[node]") {
  struct Row {
    const char* what;
    std::string cmdline;
    Strings flags;
  };
  const std::vector<Row> rows = {
      {"a stock Debian line", "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=1c2d ro quiet\n", {}},
      {"mitigations off", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro mitigations=off\n", {"mitigations=off"}},
      {"an isolated HPC node",
       "root=/dev/nvme0n1p2 isolcpus=nohz,domain,2-63 nohz_full=2-63 rcu_nocbs=2-63 intel_pstate=disable "
       "processor.max_cstate=1 intel_idle.max_cstate=0 idle=poll transparent_hugepage=never threadirqs\n",
       {"isolcpus=nohz,domain,2-63", "nohz_full=2-63", "rcu_nocbs=2-63", "intel_pstate=disable",
        "processor.max_cstate=1", "intel_idle.max_cstate=0", "idle=poll", "transparent_hugepage=never", "threadirqs"}},
      {"every mitigation switch",
       "nospectre_v1 nospectre_v2 nospec_store_bypass_disable nopti pti=off mds=off tsx_async_abort=off "
       "retbleed=off l1tf=off spec_store_bypass_disable=prctl spectre_v2=retpoline spectre_v2_user=on",
       {"nospectre_v1", "nospectre_v2", "nospec_store_bypass_disable", "nopti", "pti=off", "mds=off",
        "tsx_async_abort=off", "retbleed=off", "l1tf=off", "spec_store_bypass_disable=prctl", "spectre_v2=retpoline",
        "spectre_v2_user=on"}},
      {"SMT and CPU counts",
       "nosmt nosmt=force maxcpus=4 nr_cpus=8 amd_pstate=passive",
       {"nosmt", "nosmt=force", "maxcpus=4", "nr_cpus=8", "amd_pstate=passive"}},
      {"dashes for underscores, kept as written",
       "spectre-v2=off nospec-store-bypass-disable",
       {"spectre-v2=off", "nospec-store-bypass-disable"}},
      {"tabs and runs of spaces", "\t ro \t mitigations=auto,nosmt  \t\n", {"mitigations=auto,nosmt"}},
      {"init's arguments after -- are not the kernel's", "ro nosmt -- mitigations=off single", {"nosmt"}},
      {"look-alikes", "nosmtx mitigations xpti=on pti nohz=off idle ptiX=1 BOOT_IMAGE=/nosmt root=/mds=x", {}},
      {"a quoted value stays one token", "mitigations=\"off\" quiet", {"mitigations=\"off\""}},
      {"empty", "", {}},
      {"whitespace only", " \n\t ", {}},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    CHECK(parse_boot_flags(row.cmdline) == row.flags);
  }
}

TEST_CASE("parse_boot_flags survives hostile command lines", "[node]") {
  SECTION("binary bytes") {
    for (const auto& f : parse_boot_flags(binary_bytes() + " nosmt")) CHECK(printable_text(f));
  }
  SECTION("control characters in a kept value are replaced") {
    CHECK(parse_boot_flags("isolcpus=2\x1b[31m-7") == Strings{"isolcpus=2?[31m-7"});
  }
  SECTION("a 1 MB value is cut") {
    const auto flags = parse_boot_flags("mitigations=" + huge(1 << 20) + " nosmt");
    REQUIRE(flags.size() == 2);
    CHECK(flags[0].size() == kMaxNodeValueChars);
    CHECK(flags[1] == "nosmt");
  }
  SECTION("a 1 MB line of flags keeps at most 64") {
    std::string line;
    while (line.size() < (1u << 20)) line += "nosmt ";
    CHECK(parse_boot_flags(line).size() == 64);
  }
}

// ---- parse_os_release ----------------------------------------------------------------

TEST_CASE("parse_os_release: PRETTY_NAME, else NAME and VERSION_ID", "[node]") {
  struct Row {
    const char* what;
    std::string text;
    std::optional<std::string> name;
  };
  const std::vector<Row> rows = {
      {"Debian 12",
       "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n"
       "VERSION=\"12 (bookworm)\"\nID=debian\nHOME_URL=\"https://www.debian.org/\"\n",
       "Debian GNU/Linux 12 (bookworm)"},
      {"Ubuntu 22.04", "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\n",
       "Ubuntu 22.04.4 LTS"},
      {"Alpine without PRETTY_NAME", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n", "Alpine Linux 3.19.1"},
      {"single quotes", "PRETTY_NAME='Fedora Linux 39 (Container Image)'\n", "Fedora Linux 39 (Container Image)"},
      {"shell escapes", "PRETTY_NAME=\"A \\\"quoted\\\" \\$name\"\n", "A \"quoted\" $name"},
      {"NAME only", "NAME=Distroless\n", "Distroless"},
      {"an empty PRETTY_NAME falls back", "PRETTY_NAME=\"\"\nNAME=\"Wolfi\"\nVERSION_ID=\"20230201\"\n",
       "Wolfi 20230201"},
      {"comments are not assignments", "# PRETTY_NAME=\"commented\"\nNAME=Real\n", "Real"},
      {"the last assignment wins", "PRETTY_NAME=old\nPRETTY_NAME=new\n", "new"},
      {"CRLF line ends", "PRETTY_NAME=\"Windows-edited 1\"\r\n", "Windows-edited 1"},
      {"no name at all", "ID=debian\nVERSION_ID=12\n", std::nullopt},
      {"VERSION_ID alone", "VERSION_ID=12\n", std::nullopt},
      {"empty", "", std::nullopt},
      {"a lone quote", "PRETTY_NAME=\"\n", "\""},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    CHECK(parse_os_release(row.text) == row.name);
  }
}

TEST_CASE("parse_os_release survives hostile files", "[node]") {
  const auto escape = parse_os_release("PRETTY_NAME=\"evil\x1b[2J\x07 OS\"\n");
  REQUIRE(escape);
  CHECK(*escape == "evil?[2J? OS");
  const auto big = parse_os_release("PRETTY_NAME=\"" + huge(1 << 20) + "\"\n");
  REQUIRE(big);
  CHECK(big->size() == kMaxNodeValueChars);
  // NAME and VERSION_ID each at the cap: joined, still cut (found by fuzzing).
  const auto both = parse_os_release("NAME=" + huge(300) + "\nVERSION_ID=" + huge(300) + "\n");
  REQUIRE(both);
  CHECK(both->size() == kMaxNodeValueChars);
  const auto binary = parse_os_release(binary_bytes());
  if (binary) CHECK(printable_text(*binary));
  const auto invalid_utf8 = parse_os_release("NAME=caf\xc3\n");
  REQUIRE(invalid_utf8);
  CHECK(*invalid_utf8 == "caf\xef\xbf\xbd");  // U+FFFD
}

// ---- parse_cpuinfo -------------------------------------------------------------------

TEST_CASE("parse_cpuinfo reads the first processor block of real machines", "[node]") {
  SECTION("Intel Xeon (Sapphire Rapids)") {
    const auto c = parse_cpuinfo(kXeonCpuinfo);
    CHECK(c.model == "Intel(R) Xeon(R) Platinum 8480+");
    CHECK(c.vendor == "GenuineIntel");
    CHECK(c.family_model == "family 6 model 143 stepping 8");
    CHECK(c.microcode == "0x2b000590");
    REQUIRE(c.flags);
    // avx_vnni and ibrs_enhanced are not among the flags of interest.
    CHECK(*c.flags == Strings{"amx_bf16",    "amx_int8",     "amx_tile",    "arch_capabilities",
                              "avx",         "avx2",         "avx512_bf16", "avx512_bitalg",
                              "avx512_fp16", "avx512_vbmi2", "avx512_vnni", "avx512_vpopcntdq",
                              "avx512bw",    "avx512cd",     "avx512dq",    "avx512f",
                              "avx512ifma",  "avx512vbmi",   "avx512vl",    "f16c",
                              "fma",         "ibpb",         "ibrs",        "md_clear",
                              "ssbd",        "stibp"});
    REQUIRE(c.hypervisor_flag);
    CHECK_FALSE(*c.hypervisor_flag);  // the second block's hypervisor flag is not read
  }
  SECTION("AMD EPYC (Milan): no AVX-512, no md_clear") {
    const auto c = parse_cpuinfo(kEpycCpuinfo);
    CHECK(c.model == "AMD EPYC 7763 64-Core Processor");
    CHECK(c.vendor == "AuthenticAMD");
    CHECK(c.family_model == "family 25 model 1 stepping 1");
    CHECK(c.microcode == "0xa0011d1");
    REQUIRE(c.flags);
    CHECK(*c.flags == Strings{"avx", "avx2", "f16c", "fma", "ibpb", "ibrs", "ssbd", "stibp"});
    CHECK(c.hypervisor_flag == std::optional<bool>(false));
  }
  SECTION("ARM Neoverse V1: implementer and part, Features") {
    const auto c = parse_cpuinfo(kNeoverseCpuinfo);
    CHECK(c.model == "implementer 0x41 part 0xd40");
    CHECK(c.vendor == "ARM");
    CHECK(c.family_model.empty());
    CHECK(c.microcode.empty());
    REQUIRE(c.flags);
    CHECK(*c.flags == Strings{"asimd", "bf16", "i8mm", "sve"});  // svebf16 is not bf16; sve2 is block 2's
    CHECK_FALSE(c.hypervisor_flag);                              // ARM has no such flag: unknown, not false
  }
  SECTION("a KVM guest") {
    const auto c = parse_cpuinfo(kKvmCpuinfo);
    CHECK(c.model == "Intel Xeon Processor (Cascadelake)");
    CHECK(c.family_model == "family 6 model 85 stepping 6");
    CHECK(c.microcode == "0x1");
    REQUIRE(c.flags);
    CHECK(std::count(c.flags->begin(), c.flags->end(), "hypervisor") == 1);
    CHECK(std::is_sorted(c.flags->begin(), c.flags->end()));
    CHECK(c.hypervisor_flag == std::optional<bool>(true));
  }
}

TEST_CASE("parse_cpuinfo: other layouts and missing lines", "[node]") {
  SECTION("an ARM board with a model name and an unknown implementer") {
    const auto c = parse_cpuinfo(
        "processor\t: 0\nmodel name\t: ARMv7 Processor rev 4 (v7l)\n"
        "Features\t: half thumb fastmult vfp edsp neon\nCPU implementer\t: 0x7F\n");
    CHECK(c.model == "ARMv7 Processor rev 4 (v7l)");
    CHECK(c.vendor == "implementer 0x7f");
    CHECK(c.flags == std::optional<Strings>(Strings{}));
  }
  SECTION("Ampere is named, the part alone still makes a model") {
    const auto c = parse_cpuinfo("CPU implementer : 0xC0\nCPU part : 0xac3\n");
    CHECK(c.vendor == "Ampere");
    CHECK(c.model == "implementer 0xC0 part 0xac3");
  }
  SECTION("a block with only the processor line") {
    const auto c = parse_cpuinfo("processor\t: 0\n\nprocessor\t: 1\nmodel name\t: later\n");
    CHECK(c.model.empty());
    CHECK(c.vendor.empty());
    CHECK(c.family_model.empty());
    CHECK(c.microcode.empty());
    CHECK_FALSE(c.flags);
    CHECK_FALSE(c.hypervisor_flag);
  }
  SECTION("leading blank lines do not end the first block") {
    CHECK(parse_cpuinfo("\n\n  \nmodel name : X\n").model == "X");
  }
  SECTION("a family without a stepping, and a repeated key keeps the first") {
    const auto c = parse_cpuinfo("cpu family : 6\nmodel : 85\nmodel : 99\n");
    CHECK(c.family_model == "family 6 model 85");
  }
  SECTION("flags repeated and in any order come out sorted and unique") {
    const auto c = parse_cpuinfo("flags : stibp avx2 avx2 avx amx_tile avx512f avx512f\n");
    CHECK(c.flags == std::optional<Strings>(Strings{"amx_tile", "avx", "avx2", "avx512f", "stibp"}));
  }
}

TEST_CASE("parse_cpuinfo survives hostile files", "[node]") {
  SECTION("empty") {
    const auto c = parse_cpuinfo("");
    CHECK(c.model.empty());
    CHECK_FALSE(c.flags);
    CHECK_FALSE(c.hypervisor_flag);
  }
  SECTION("binary") {
    const auto c = parse_cpuinfo(binary_bytes());
    CHECK(printable_text(c.model));
    CHECK(printable_text(c.vendor));
  }
  SECTION("a 1 MB model name is cut") {
    const auto c = parse_cpuinfo("model name\t: " + huge(1 << 20) + "\nvendor_id : V\n");
    CHECK(c.model.size() == kMaxNodeValueChars);
    CHECK(c.vendor == "V");
  }
  SECTION("a 1 MB flags line of distinct avx512 words keeps at most 64") {
    std::string flags = "flags : hypervisor";
    for (int i = 0; flags.size() < (1u << 20); ++i) flags += " avx512_x" + std::to_string(i);
    const auto c = parse_cpuinfo(flags + "\n");
    REQUIRE(c.flags);
    CHECK(c.flags->size() == 64);
    CHECK(c.hypervisor_flag == std::optional<bool>(true));
  }
  SECTION("escape sequences and odd characters in flags are not flags") {
    const auto c = parse_cpuinfo("model name : Evil\x1b[2J\x7f\nflags : avx\x1b[31m AVX2 avx512f\x01 amx_tile\n");
    CHECK(c.model == "Evil?[2J?");
    CHECK(c.flags == std::optional<Strings>(Strings{"amx_tile"}));
  }
}

// ---- parse_bracketed_choice ----------------------------------------------------------

TEST_CASE("parse_bracketed_choice picks the [selected] word", "[node]") {
  struct Row {
    std::string text;
    std::optional<std::string> word;
  };
  const std::vector<Row> rows = {
      {"always [madvise] never\n", "madvise"},
      {"[always] madvise never\n", "always"},
      {"always defer defer+madvise [madvise] never\n", "madvise"},
      {"always defer [defer+madvise] madvise never\n", "defer+madvise"},
      {"always madvise never\n", std::nullopt},
      {"", std::nullopt},
      {"[]", std::nullopt},
      {"[ ]", std::nullopt},
      {"always [madvise", std::nullopt},
      {"] never [", std::nullopt},
      {"a ] [b] c", "b"},
      {"[a\x1b]", "a?"},
  };
  for (const auto& row : rows) {
    INFO("[" << row.text << "]");
    CHECK(parse_bracketed_choice(row.text) == row.word);
  }
  const auto big = parse_bracketed_choice("[" + huge(1 << 20) + "]");
  REQUIRE(big);
  CHECK(big->size() <= kMaxNodeValueChars);
}

// ---- container_facts -----------------------------------------------------------------

TEST_CASE("container_facts: runtime, QoS, pod and cgroup namespace from the path", "[node]") {
  const std::string file = "/proc/self/cgroup";
  const std::string slice = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidSystemd + ".slice";
  struct Row {
    const char* what;
    std::string path;
    ContainerMarkers markers;
    std::string runtime, qos, pod_uid;
    std::optional<bool> cgroup_namespace;
    std::string hint;  ///< one of the hints
  };
  const ContainerMarkers none{false, false};
  const std::vector<Row> rows = {
      {"docker, cgroup v1", "/docker/" + kCid, none, "docker", "", "", false, "cgroup path has /docker/<id>"},
      {"docker, systemd driver", "/system.slice/docker-" + kCid + ".scope", none, "docker", "", "", false,
       "cgroup path has docker-<id>.scope"},
      {"podman", "/machine.slice/libpod-" + kCid + ".scope", none, "podman", "", "", false,
       "cgroup path has libpod-<id>.scope"},
      {"rootless podman under user.slice is not systemd",
       "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kCid + ".scope", none, "podman", "", "",
       false, "cgroup path has libpod-<id>.scope"},
      {"kubepods burstable, bare id (cgroupfs)", "/kubepods/burstable/pod" + kUid + "/" + kCid, none, "containerd",
       "burstable", kUid, false,
       "cgroup path ends in a bare container id under kubepods (containerd or another CRI runtime)"},
      {"kubepods besteffort, crio-<id> (cgroupfs)", "/kubepods/besteffort/pod" + kUid + "/crio-" + kCid, none, "cri-o",
       "besteffort", kUid, false, "cgroup path has crio-<id>"},
      {"kubepods guaranteed (cgroupfs)", "/kubepods/pod" + kUid + "/" + kCid, none, "containerd", "guaranteed", kUid,
       false, "cgroup path has a kubepods pod with no QoS component (guaranteed)"},
      {"kubepods burstable, containerd (systemd)", slice + "/cri-containerd-" + kCid + ".scope", none, "containerd",
       "burstable", kUid, false, "cgroup path has cri-containerd-<id>.scope"},
      {"kubepods besteffort, cri-o (systemd)",
       "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidSystemd + ".slice/crio-" + kCid +
           ".scope",
       none, "cri-o", "besteffort", kUid, false, "cgroup path has kubepods-besteffort"},
      {"kubepods guaranteed (systemd)",
       "/kubepods.slice/kubepods-pod" + kUidSystemd + ".slice/cri-containerd-" + kCid + ".scope", none, "containerd",
       "guaranteed", kUid, false, "cgroup path has cri-containerd-<id>.scope"},
      {"a pod slice without a container", slice, none, "", "burstable", kUid, false,
       "cgroup path has kubepods-burstable"},
      {"CRI-O also writes /run/.containerenv: the path wins",
       slice + "/crio-" + kCid + ".scope",
       {false, true},
       "cri-o",
       "burstable",
       kUid,
       false,
       "/run/.containerenv exists"},
      {"docker with a cgroup namespace", "/", {true, false}, "docker", "", "", true, "/.dockerenv exists"},
      {"podman with a cgroup namespace", "/", {false, true}, "podman", "", "", true, "/run/.containerenv exists"},
      {"a .dockerenv under a host path",
       "/system.slice/ssh.service",
       {true, false},
       "docker",
       "",
       "",
       std::nullopt,
       "/.dockerenv exists"},
      {"a systemd service", "/system.slice/nginx.service", none, "systemd", "", "", std::nullopt,
       "cgroup path is under /system.slice/ with no container id"},
      {"a user session", "/user.slice/user-1000.slice/session-3.scope", none, "systemd", "", "", std::nullopt,
       "cgroup path is under /user.slice/ with no container id"},
      {"the root, no markers", "/", none, "", "", "", std::nullopt, ""},
      {"an empty path", "", none, "", "", "", std::nullopt, ""},
      {"a short id is not a container", "/docker/3f4e5d6c", none, "", "", "", std::nullopt, ""},
      {"a 63-hex scope is not a container", "/system.slice/docker-" + kCid.substr(1) + ".scope", none, "systemd", "",
       "", std::nullopt, "cgroup path is under /system.slice/ with no container id"},
      {"a bare id outside kubepods says nothing", "/" + kCid, none, "", "", "", std::nullopt, ""},
      {"conmon is not the container", "/machine.slice/libpod-conmon-" + kCid + ".scope", none, "", "", "", std::nullopt,
       ""},
  };
  for (const auto& row : rows) {
    INFO(row.what << ": " << row.path);
    const auto c = container_facts(row.path, row.markers, file);
    CHECK(c.runtime == row.runtime);
    CHECK(c.kube_qos == row.qos);
    CHECK(c.pod_uid == row.pod_uid);
    CHECK(c.cgroup_namespace.value == row.cgroup_namespace);
    CHECK(c.cgroup_namespace.path == file);
    if (!row.cgroup_namespace) CHECK(c.cgroup_namespace.reason == "cannot tell from the cgroup path");
    if (row.hint.empty()) {
      CHECK(c.hints.empty());
    } else {
      CHECK(std::count(c.hints.begin(), c.hints.end(), row.hint) == 1);
    }
  }
}

TEST_CASE("container_facts survives hostile paths", "[node]") {
  std::string deep;
  while (deep.size() < (1u << 20)) deep += "/kubepods";
  const auto c = container_facts(deep + "/" + kCid, {false, false}, "/proc/1/cgroup");
  CHECK(c.runtime == "containerd");
  CHECK(c.hints.size() == 1);
  const auto binary = container_facts(binary_bytes(), {false, false}, "/proc/1/cgroup");
  CHECK(binary.runtime.empty());
  CHECK(container_facts(huge(1 << 20, '/'), {false, false}, "f").runtime.empty());
}

// ---- probe_node ----------------------------------------------------------------------

namespace {

/// A Debian host's files, shared by the tree tests.
void write_kernel(const TempTree& t) {
  t.write("proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
  t.write("proc/sys/kernel/version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)\n");
  t.write("proc/cmdline",
          "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=1c2d ro quiet mitigations=auto,nosmt nohz_full=2-3\n");
}

void write_cpufreq(const TempTree& t, int cpu, const std::string& governor, const std::string& cur_khz) {
  const auto dir = "sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/cpufreq/";
  t.write(dir + "scaling_governor", governor + "\n");
  t.write(dir + "scaling_driver", "intel_pstate\n");
  t.write(dir + "scaling_min_freq", "800000\n");
  t.write(dir + "scaling_max_freq", "3800000\n");
  t.write(dir + "scaling_cur_freq", cur_khz + "\n");
}

}  // namespace

TEST_CASE("probe_node on a docker-like tree", "[node]") {
  TempTree t;
  REQUIRE(t.ok());
  write_kernel(t);
  t.write(".dockerenv", "");
  t.write("usr/lib/os-release", "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\n");  // no /etc/os-release: the fallback
  t.write("proc/cpuinfo", kXeonCpuinfo);
  t.write("proc/self/status",
          "Name:\tpython3\nUmask:\t0022\nState:\tS (sleeping)\nSeccomp:\t2\nSeccomp_filters:\t1\n"
          "Speculation_Store_Bypass:\tthread force mitigated\nSpeculationIndirectBranch:\tconditional enabled\n"
          "Cpus_allowed_list:\t0-3\n");
  t.write("sys/devices/system/cpu/online", "0-3\n");
  write_cpufreq(t, 0, "performance", "3200000");
  write_cpufreq(t, 2, "powersave", "not a number");
  t.mkdir("sys/devices/system/cpu/cpu1");  // no cpufreq directory
  t.write("sys/devices/system/cpu/intel_pstate/status", "active\n");
  t.write("sys/devices/system/cpu/smt/control", "on\n");
  const std::string vuln = "sys/devices/system/cpu/vulnerabilities/";
  t.write(vuln + "meltdown", "Not affected\n");
  t.write(vuln + "spec_store_bypass", "Mitigation: Speculative Store Bypass disabled via prctl\n");
  t.write(vuln + "spectre_v2", "Mitigation: Enhanced / Automatic IBRS; IBPB: conditional; RSB filling\n");
  t.mkdir(vuln + "not_a_file");
  t.write("sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
  t.write("sys/kernel/mm/transparent_hugepage/defrag", "always defer defer+madvise [madvise] never\n");
  t.write("proc/sys/kernel/sched_autogroup_enabled", "1\n");
  t.write("proc/sys/kernel/sched_rt_runtime_us", "950000\n");
  t.write("proc/sys/kernel/perf_event_paranoid", "2\n");
  t.mkdir("proc/sys/kernel/sched_domain");

  FsReader fs(t.root());
  std::vector<std::string> reads;
  fs.record_reads_into(&reads);
  const auto n = probe_node(fs, paths::proc_dir(), "/");

  CHECK(n.kernel_release.value == std::optional<std::string>("6.1.0-18-amd64"));
  CHECK(n.kernel_release.path == paths::kOsRelease);
  CHECK(n.kernel_version.value == std::optional<std::string>("#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"));
  CHECK(n.boot_flags.value == std::optional<Strings>(Strings{"mitigations=auto,nosmt", "nohz_full=2-3"}));
  CHECK(n.os.value == std::optional<std::string>("Ubuntu 22.04.4 LTS"));
  CHECK(n.os.path == "/usr/lib/os-release");
  CHECK(n.cpu_model.value == std::optional<std::string>("Intel(R) Xeon(R) Platinum 8480+"));
  CHECK(n.cpu_vendor.value == std::optional<std::string>("GenuineIntel"));
  CHECK(n.cpu_family_model.value == std::optional<std::string>("family 6 model 143 stepping 8"));
  CHECK(n.microcode.value == std::optional<std::string>("0x2b000590"));
  CHECK(n.microcode.path == paths::kCpuinfo);
  REQUIRE(n.cpu_flags.ok());
  CHECK(n.cpu_flags.value->size() == 26);
  CHECK(n.hypervisor.value == std::optional<std::string>("none"));
  CHECK(n.hypervisor.path == paths::kCpuinfo);

  REQUIRE(n.frequency.ok());
  const auto& freq = *n.frequency.value;
  REQUIRE(freq.size() == 2);  // cpu1 and cpu3 have no cpufreq
  CHECK(freq[0].cpu == 0);
  CHECK(freq[0].governor == "performance");
  CHECK(freq[0].driver == "intel_pstate");
  CHECK(freq[0].min_khz == std::optional<long long>(800000));
  CHECK(freq[0].max_khz == std::optional<long long>(3800000));
  CHECK(freq[0].cur_khz == std::optional<long long>(3200000));
  CHECK(freq[1].cpu == 2);
  CHECK(freq[1].governor == "powersave");
  CHECK_FALSE(freq[1].cur_khz);  // "not a number"
  CHECK(n.pstate.value == std::optional<std::string>("intel_pstate active"));
  CHECK(n.pstate.path == paths::kIntelPstateStatus);
  CHECK(n.smt_control.value == std::optional<std::string>("on"));

  REQUIRE(n.vulnerabilities.ok());
  const auto& v = *n.vulnerabilities.value;
  CHECK(v.size() == 3);
  CHECK(v.at("meltdown") == "Not affected");
  CHECK(v.at("spectre_v2") == "Mitigation: Enhanced / Automatic IBRS; IBPB: conditional; RSB filling");
  CHECK(v.count("not_a_file") == 0);

  CHECK(n.speculation_store_bypass.value == std::optional<std::string>("thread force mitigated"));
  CHECK(n.speculation_store_bypass.path == "/proc/self/status");
  CHECK(n.speculation_indirect_branch.value == std::optional<std::string>("conditional enabled"));
  CHECK(n.seccomp_mode.value == std::optional<int>(2));

  CHECK(n.container.runtime == "docker");
  CHECK(n.container.hints == Strings{"/.dockerenv exists"});
  CHECK(n.container.cgroup_namespace.value == std::optional<bool>(true));
  CHECK(n.container.cgroup_namespace.path == "/proc/self/cgroup");
  // The marker was read, not stat'ed, so a snapshot copies it.
  CHECK(std::count(reads.begin(), reads.end(), "/.dockerenv") == 1);

  CHECK(n.thp_enabled.value == std::optional<std::string>("madvise"));
  CHECK(n.thp_defrag.value == std::optional<std::string>("madvise"));
  CHECK(n.sched_tunables ==
        std::map<std::string, std::string>{{"sched_autogroup_enabled", "1"}, {"sched_rt_runtime_us", "950000"}});
}

TEST_CASE("probe_node on a kubepods burstable containerd tree", "[node]") {
  TempTree t;
  REQUIRE(t.ok());
  write_kernel(t);
  t.write("etc/os-release", "NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n");
  t.write("proc/cpuinfo", kEpycCpuinfo);
  t.write("proc/42/status", "Name:\tpython3\nSeccomp:\t0\n");  // an old kernel: no Speculation lines
  t.write("sys/devices/system/cpu/online", "0-1\n");
  t.write("sys/devices/system/cpu/amd_pstate/status", "passive\n");
  const std::string path = "/kubepods/burstable/pod" + kUid + "/" + kCid;

  const auto n = probe_node(FsReader(t.root()), paths::proc_dir(42), path);
  CHECK(n.os.value == std::optional<std::string>("Debian GNU/Linux 12"));
  CHECK(n.os.path == "/etc/os-release");
  CHECK(n.cpu_vendor.value == std::optional<std::string>("AuthenticAMD"));
  CHECK(n.hypervisor.value == std::optional<std::string>("none"));
  CHECK(n.pstate.value == std::optional<std::string>("amd_pstate passive"));
  CHECK(n.pstate.path == paths::kAmdPstateStatus);
  CHECK_FALSE(n.frequency.ok());
  CHECK(n.frequency.reason == "no cpufreq (common on VMs)");
  CHECK(n.frequency.path == paths::kCpuDir + "/cpu0/cpufreq");
  CHECK_FALSE(n.speculation_store_bypass.ok());
  CHECK(n.speculation_store_bypass.reason == "the kernel does not report it");
  CHECK(n.speculation_store_bypass.path == "/proc/42/status");
  CHECK(n.speculation_indirect_branch.reason == "the kernel does not report it");
  CHECK(n.seccomp_mode.value == std::optional<int>(0));

  CHECK(n.container.runtime == "containerd");
  CHECK(n.container.kube_qos == "burstable");
  CHECK(n.container.pod_uid == kUid);
  CHECK(n.container.cgroup_namespace.value == std::optional<bool>(false));
  CHECK(n.container.cgroup_namespace.path == "/proc/42/cgroup");
  REQUIRE(n.container.hints.size() == 2);
  CHECK(n.container.hints[0].find("another CRI") != std::string::npos);
  CHECK(n.container.hints[1] == "cgroup path has kubepods/burstable");
}

TEST_CASE("probe_node: the hypervisor from sys/hypervisor, the flag, or neither", "[node]") {
  SECTION("a KVM guest: the flag, no type file") {
    TempTree t;
    t.write("proc/cpuinfo", kKvmCpuinfo);
    const auto n = probe_node(FsReader(t.root()), paths::proc_dir(), "/");
    CHECK(n.hypervisor.value == std::optional<std::string>("yes (type unknown)"));
  }
  SECTION("Xen names itself") {
    TempTree t;
    t.write("proc/cpuinfo", kKvmCpuinfo);
    t.write("sys/hypervisor/type", "xen\n");
    const auto n = probe_node(FsReader(t.root()), paths::proc_dir(), "/");
    CHECK(n.hypervisor.value == std::optional<std::string>("xen"));
    CHECK(n.hypervisor.path == paths::kHypervisorType);
  }
  SECTION("ARM shows no flag: unknown, not none") {
    TempTree t;
    t.write("proc/cpuinfo", kNeoverseCpuinfo);
    const auto n = probe_node(FsReader(t.root()), paths::proc_dir(), "/");
    check_unavailable(n.hypervisor, "hypervisor");
    CHECK(n.cpu_model.value == std::optional<std::string>("implementer 0x41 part 0xd40"));
    check_unavailable(n.cpu_family_model, "family");
    check_unavailable(n.microcode, "microcode");
  }
}

TEST_CASE("probe_node on an empty tree: every fact unavailable with a reason", "[node]") {
  TempTree t;
  REQUIRE(t.ok());
  const auto n = probe_node(FsReader(t.root()), paths::proc_dir(), "");
  check_unavailable(n.kernel_release, "kernel_release");
  check_unavailable(n.kernel_version, "kernel_version");
  check_unavailable(n.boot_flags, "boot_flags");
  check_unavailable(n.os, "os");
  CHECK(n.os.path == "/etc/os-release");
  check_unavailable(n.cpu_model, "cpu_model");
  check_unavailable(n.cpu_vendor, "cpu_vendor");
  check_unavailable(n.cpu_family_model, "cpu_family_model");
  check_unavailable(n.microcode, "microcode");
  check_unavailable(n.cpu_flags, "cpu_flags");
  check_unavailable(n.hypervisor, "hypervisor");
  check_unavailable(n.frequency, "frequency");
  check_unavailable(n.pstate, "pstate");
  check_unavailable(n.smt_control, "smt_control");
  check_unavailable(n.vulnerabilities, "vulnerabilities");
  check_unavailable(n.speculation_store_bypass, "speculation_store_bypass");
  check_unavailable(n.speculation_indirect_branch, "speculation_indirect_branch");
  check_unavailable(n.seccomp_mode, "seccomp_mode");
  check_unavailable(n.container.cgroup_namespace, "cgroup_namespace");
  check_unavailable(n.thp_enabled, "thp_enabled");
  check_unavailable(n.thp_defrag, "thp_defrag");
  CHECK(n.container.runtime.empty());
  CHECK(n.container.hints.empty());
  CHECK(n.sched_tunables.empty());
  CHECK(n.cpu_model.path == paths::kCpuinfo);
  CHECK(n.vulnerabilities.path == paths::kVulnerabilitiesDir);
  CHECK(n.speculation_store_bypass.path == "/proc/self/status");
  CHECK(n.speculation_store_bypass.reason != "the kernel does not report it");  // the read error instead
}

TEST_CASE("probe_node on a hostile tree: garbage stays data", "[node]") {
  TempTree t;
  REQUIRE(t.ok());
  t.write("proc/sys/kernel/osrelease", "6.1\x1b[2J" + huge(1 << 20) + "\n");
  t.write("proc/sys/kernel/version", "   \n");
  t.write("proc/cmdline", binary_bytes());
  t.write("etc/os-release", "ID=x\n");
  t.write("proc/cpuinfo", binary_bytes());
  t.write("proc/self/status", "Seccomp:\tbanana\nSpeculation_Store_Bypass:\t\x1b]0;pwned\x07\n");
  t.write("sys/devices/system/cpu/online", "0-3,garbage\n");
  t.write("sys/devices/system/cpu/smt/control", "");
  t.write("sys/devices/system/cpu/intel_pstate/status", binary_bytes());
  t.write("sys/devices/system/cpu/vulnerabilities/spectre_v1", "Mitigation\x01: " + huge(1 << 20) + "\n");
  t.write("sys/kernel/mm/transparent_hugepage/enabled", "always madvise never\n");
  t.write("sys/kernel/mm/transparent_hugepage/defrag", binary_bytes());
  for (int i = 0; i < 100; ++i) t.write("proc/sys/kernel/sched_x" + std::to_string(i), huge(1000) + "\n");

  const auto n = probe_node(FsReader(t.root()), paths::proc_dir(), "/");
  REQUIRE(n.kernel_release.ok());
  CHECK(n.kernel_release.value->size() == kMaxNodeValueChars);
  CHECK(starts_with(*n.kernel_release.value, "6.1?[2J"));
  CHECK(n.kernel_version.reason == "empty file");
  REQUIRE(n.boot_flags.ok());
  for (const auto& f : *n.boot_flags.value) CHECK(printable_text(f));
  CHECK(n.os.reason == "no PRETTY_NAME or NAME");
  if (n.cpu_model.ok()) CHECK(printable_text(*n.cpu_model.value));
  CHECK(n.seccomp_mode.reason == "Seccomp is not 0, 1 or 2");
  REQUIRE(n.speculation_store_bypass.ok());
  CHECK(printable_text(*n.speculation_store_bypass.value));
  CHECK_FALSE(n.frequency.ok());
  CHECK(n.frequency.path == paths::kCpuDir + "/online");
  CHECK(n.smt_control.reason == "empty file");
  REQUIRE(n.pstate.ok());
  CHECK(starts_with(*n.pstate.value, "intel_pstate "));
  CHECK(printable_text(*n.pstate.value));
  CHECK(n.pstate.value->size() <= std::string("intel_pstate ").size() + 64);
  REQUIRE(n.vulnerabilities.ok());
  CHECK(n.vulnerabilities.value->at("spectre_v1").size() == kMaxNodeValueChars);
  CHECK(printable_text(n.vulnerabilities.value->at("spectre_v1")));
  CHECK(n.thp_enabled.reason == "no [selected] value");
  if (n.thp_defrag.ok()) CHECK(printable_text(*n.thp_defrag.value));
  CHECK(n.sched_tunables.size() == 64);
  for (const auto& [name, value] : n.sched_tunables) CHECK(value.size() == kMaxNodeValueChars);
}
