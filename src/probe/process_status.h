#pragma once
// /proc/PID/status fields (Documentation/filesystems/proc.rst, table 1-2).
#include <optional>
#include <string>
#include <string_view>

#include "model/fact.h"
#include "sys/fs_reader.h"
#include "util/cpu_list.h"

namespace torchdiag {

/// The value of "Name:\tvalue" in a status file, trimmed; nullopt when absent.
std::optional<std::string> status_field(std::string_view status_text, std::string_view name);

/// Affinity from `<proc_dir>/status`: Cpus_allowed_list, else the Cpus_allowed mask.
Fact<CpuSet> affinity_from_status(const FsReader& fs, const std::string& proc_dir);

}  // namespace torchdiag
