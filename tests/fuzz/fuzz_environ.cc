// parse_environ (src/sys/environment.h) on arbitrary /proc/PID/environ content, then
// what inspect does with it: filter_thread_env (src/probe/env_probe.h) and the
// thread-count readers of src/advise/findings.h. Invariants: names are non-empty and
// free of '=' and NUL, and a thread count is within 1..1,000,000.
#include <cstddef>
#include <cstdint>

#include "advise/findings.h"
#include "fuzz_check.h"
#include "probe/env_probe.h"
#include "sys/environment.h"

using torchdiag::fuzz::check;

namespace {

void check_count(const std::optional<int>& count) {
  if (count) check(*count >= 1 && *count <= 1000000, "a thread count is within 1..1000000");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto vars = torchdiag::parse_environ(torchdiag::fuzz::as_text(data, size));
  for (const auto& [name, value] : vars) {
    check(!name.empty() && name.find('=') == std::string::npos, "a variable name has no '='");
    check(name.find('\0') == std::string::npos && value.find('\0') == std::string::npos,
          "entries are split at NUL");
    check_count(torchdiag::parse_thread_count(value));
  }
  const auto thread_vars = torchdiag::filter_thread_env(vars);
  check(thread_vars.size() <= vars.size(), "filtering never adds variables");
  check_count(torchdiag::env_intra_op_threads(thread_vars));
  return 0;
}
