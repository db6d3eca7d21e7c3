#pragma once
#include <string>

#include "model/fact.h"

namespace torchdiag {

/// Where torchdiag-worker lives: $TORCHDIAG_WORKER, else next to this executable,
/// else ../libexec/torchdiag/ relative to it, else the configured libexec directory.
/// Unavailable (with every place tried) when none is executable.
Fact<std::string> find_worker();

/// Absolute path of the running executable ("" when unknown).
std::string self_executable();

}  // namespace torchdiag
