#pragma once
// Writing a snapshot tree for `inspect --root`. torchdiag runs as root, so the target
// directory is treated as hostile: nothing is ever written through a symbolic link.
#include <map>
#include <string>
#include <vector>

#include "sys/fs_reader.h"

namespace torchdiag {

struct SnapshotWrite {
  std::string error;     ///< "" on success
  bool refused = false;  ///< the target was refused before anything was written
  size_t files = 0;      ///< regular files written
  bool ok() const { return error.empty(); }
};

/// Copies `paths` (as recorded by FsReader::record_reads_into; a trailing '/' means
/// "create this directory") from `source` into `dest_dir`, keeping their paths, then
/// writes `extra_files` (path -> content).
///
/// Without `force`, a `dest_dir` that is a symbolic link, is owned by another user or
/// is not empty is refused. Whatever `force` says, every directory and file is created
/// relative to the target's own descriptor with O_NOFOLLOW, files with O_EXCL (with
/// `force` an existing entry is unlinked first, never opened), so a link planted in
/// the tree, before or during the copy, is never followed.
SnapshotWrite write_snapshot(const FsReader& source, const std::vector<std::string>& paths,
                             const std::map<std::string, std::string>& extra_files,
                             const std::string& dest_dir, bool force);

}  // namespace torchdiag
