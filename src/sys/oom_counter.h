#pragma once
// How many processes the kernel's out-of-memory killer has killed since boot: the
// "oom_kill" line of /proc/vmstat (Linux 4.13+). A child that died of SIGKILL is
// called an OOM kill only when this counter rose while it ran.
#include <optional>
#include <string_view>

#include "sys/fs_reader.h"

namespace torchdiag {

/// The value of `oom_kill` in a /proc/vmstat text; nullopt when absent or malformed.
std::optional<long long> parse_oom_kill_count(std::string_view vmstat_text);

/// The live counter through `fs`; nullopt when unreadable.
std::optional<long long> read_oom_kill_count(const FsReader& fs);

}  // namespace torchdiag
