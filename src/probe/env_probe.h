#pragma once
#include <string>

#include "model/env_facts.h"
#include "sys/fs_reader.h"

namespace torchdiag {

/// Thread-related environment: the live environment when `fs` is live and `proc_dir`
/// is paths::proc_dir() (this process), otherwise `<proc_dir>/environ` under the reader's root.
EnvFacts probe_env(const FsReader& fs, const std::string& proc_dir, bool force_file = false);

/// Keeps only the names in thread_env_names().
std::map<std::string, std::string> filter_thread_env(const std::map<std::string, std::string>& all);

}  // namespace torchdiag
