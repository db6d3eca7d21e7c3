// LibTorch's multi-line errors reduced to the line that says what went wrong.
#include <catch2/catch.hpp>

#include "util/error_cause.h"

using torchdiag::error_cause;

namespace {

std::string interpreter_failure(const std::string& last_lines) {
  return "The following operation failed in the TorchScript interpreter.\n"
         "Traceback of TorchScript, serialized code (most recent call last):\n"
         "  File \"code/__torch__.py\", line 10, in forward\n"
         "    return torch.relu(torch.linear(x, w, b))\n"
         "                      ~~~~~~~~~~~~ <--- HERE\n"
         "\n"
         "Traceback of TorchScript, original code (most recent call last):\n"
         "  File \"<string>\", line 2, in forward\n"
         "RuntimeError: not this one, an earlier frame\n" +
         last_lines;
}

}  // namespace

TEST_CASE("error_cause finds the reason at the end of a TorchScript traceback", "[util]") {
  CHECK(error_cause(interpreter_failure("RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x17 and 16x8)\n")) ==
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x17 and 16x8)");
  CHECK(error_cause(interpreter_failure("RuntimeError: AssertionError: custom reason 42\n")) ==
        "RuntimeError: AssertionError: custom reason 42");
  CHECK(error_cause(interpreter_failure("builtins.ValueError: bad value\nsecond line of it\n")) ==
        "builtins.ValueError: bad value second line of it");
  const auto oom = error_cause(interpreter_failure(
      "RuntimeError: [enforce fail at alloc_cpu.cpp:75] err == 0. DefaultCPUAllocator: can't allocate memory: "
      "you tried to allocate 281474976710656 bytes. Error code 12 (Cannot allocate memory)\n"));
  CHECK(oom.find("you tried to allocate 281474976710656 bytes") != std::string::npos);
}

TEST_CASE("error_cause takes the first line of other messages", "[util]") {
  CHECK(error_cause("forward() expected at most 2 argument(s) but received 3\nDeclaration: forward(...)\n") ==
        "forward() expected at most 2 argument(s) but received 3");
  CHECK(error_cause("\n\n  PytorchStreamReader failed reading zip archive\nException raised from ...\nframe #0") ==
        "PytorchStreamReader failed reading zip archive");
  CHECK(error_cause("").empty());
  CHECK(error_cause(std::string(5000, 'x')).size() == 1003);  // bounded, with "..."
  // A traceback whose last lines name no exception: the first line is all there is.
  CHECK(error_cause("The following operation failed in the TorchScript interpreter.\nsomething odd\n") ==
        "The following operation failed in the TorchScript interpreter.");
}
