// The node-fact parsers on arbitrary text (src/probe/node_facts.h): boot flags,
// os-release, the first cpuinfo block, sysfs "[selected]" files and the container
// guess from a cgroup path. Every value they keep is printable, valid UTF-8 and cut.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "probe/node_facts.h"
#include "util/strings.h"

using torchdiag::fuzz::check;

namespace {

void check_value(const std::string& v, const char* invariant) {
  check(v.size() <= torchdiag::kMaxNodeValueChars, invariant);
  check(torchdiag::printable(v) == v, invariant);
  check(torchdiag::sanitize_utf8(v) == v, invariant);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = torchdiag::fuzz::as_text(data, size);
  const auto flags = torchdiag::parse_boot_flags(text);
  check(flags.size() <= 64, "at most 64 boot flags");
  for (const auto& f : flags) check_value(f, "a boot flag is printable and cut");
  if (const auto os = torchdiag::parse_os_release(text)) check_value(*os, "the OS name is printable and cut");
  const auto cpu = torchdiag::parse_cpuinfo(text);
  for (const auto* v : {&cpu.model, &cpu.vendor, &cpu.family_model, &cpu.microcode}) {
    check_value(*v, "a cpuinfo value is printable and cut");
  }
  if (cpu.flags) {
    check(cpu.flags->size() <= 64, "at most 64 CPU flags");
    for (size_t i = 1; i < cpu.flags->size(); ++i) check((*cpu.flags)[i - 1] < (*cpu.flags)[i], "flags are sorted, unique");
  }
  if (const auto choice = torchdiag::parse_bracketed_choice(text)) {
    check(!choice->empty(), "a bracketed choice is not empty");
    check_value(*choice, "a bracketed choice is printable and cut");
  }
  const auto container = torchdiag::container_facts(text, {size % 2 == 1, size % 3 == 1}, "/proc/self/cgroup");
  for (const auto& h : container.hints) check(torchdiag::sanitize_utf8(h) == h, "a hint is valid UTF-8");
  check(container.kube_qos.empty() || container.kube_qos == "guaranteed" || container.kube_qos == "burstable" ||
            container.kube_qos == "besteffort",
        "the QoS class is one of Kubernetes' three");
  return 0;
}
