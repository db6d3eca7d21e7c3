#pragma once
// LibTorch error messages are many lines long: a TorchScript failure starts with "The
// following operation failed in the TorchScript interpreter." and two tracebacks, and
// only its last lines ("RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x17
// and 16x8)") say what went wrong; a c10::Error ends with a C++ backtrace.
#include <string>
#include <string_view>

namespace torchdiag {

/// The part of an error message that says what went wrong, on one line: for a
/// TorchScript interpreter failure, the final "SomeError: ..." line and what follows
/// it; otherwise the first non-empty line. At most 1000 bytes.
std::string error_cause(std::string_view message);

}  // namespace torchdiag
