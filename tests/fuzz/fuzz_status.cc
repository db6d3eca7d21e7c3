// /proc/PID/status helpers on arbitrary text: status_field, affinity_from_status
// (src/probe/process_status.h), parse_vm_rss_bytes (src/sys/rss_sampler.h) and
// capability_set on the CapEff field (src/probe/perf_capability.h). affinity_from_status
// reads through an FsReader, so the input is written to proc/self/status under a
// private temporary root made once per process (see temp_template).
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz_check.h"
#include "probe/perf_capability.h"
#include "probe/process_status.h"
#include "sys/fs_reader.h"
#include "sys/rss_sampler.h"

using torchdiag::fuzz::check;
namespace stdfs = std::filesystem;

namespace {

std::string g_root;  // removed at exit (a crash leaves it behind)

void remove_root() { stdfs::remove_all(g_root); }

void check_cpus(const torchdiag::CpuSet& cpus) {
  for (size_t i = 1; i < cpus.size(); ++i) {
    check(cpus[i - 1] < cpus[i], "affinity is sorted and unique");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string templ = torchdiag::fuzz::temp_template("torchdiag-fuzz-status");
  check(mkdtemp(templ.data()) != nullptr, "mkdtemp succeeds");
  g_root = templ;
  stdfs::create_directories(g_root + "/proc/self");
  std::atexit(remove_root);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = torchdiag::fuzz::as_text(data, size);
  for (const char* name : {"Cpus_allowed_list", "Cpus_allowed", "VmRSS", "Seccomp", "Name"}) {
    if (const auto value = torchdiag::status_field(text, name)) {
      check(value->size() <= size, "a status field comes from the input");
    }
  }
  if (const auto caps = torchdiag::status_field(text, "CapEff")) {
    (void)torchdiag::capability_set(*caps, 21);  // CAP_SYS_ADMIN
    (void)torchdiag::capability_set(*caps, 38);  // CAP_PERFMON
  }
  if (const auto rss = torchdiag::parse_vm_rss_bytes(text)) {
    check(*rss >= 0 && *rss % 1024 == 0, "VmRSS bytes are a non-negative multiple of 1024");
  }
  {
    std::ofstream out(g_root + "/proc/self/status", std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  const auto affinity = torchdiag::affinity_from_status(torchdiag::FsReader(g_root), "/proc/self");
  if (affinity.ok()) {
    check(!affinity.value->empty(), "a known affinity is not empty");
    check_cpus(*affinity.value);
  }
  return 0;
}
