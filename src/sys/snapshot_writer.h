#pragma once
#include <map>
#include <string>
#include <vector>

#include "sys/fs_reader.h"

namespace torchdiag {

/// Copies `paths` (as recorded by FsReader::record_reads_into; a trailing '/' means
/// "create this directory") from `source` into `dest_dir`, keeping their paths, then
/// writes `extra_files` (path -> content). Returns "" on success or the first error.
std::string write_snapshot(const FsReader& source, const std::vector<std::string>& paths,
                           const std::map<std::string, std::string>& extra_files,
                           const std::string& dest_dir);

}  // namespace torchdiag
