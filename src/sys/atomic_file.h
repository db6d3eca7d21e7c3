#pragma once
// Replacing a file so that a reader never sees a part of it: node_exporter's textfile
// collector may read DIR/*.prom at any moment.
#include <string>

namespace torchdiag {

/// Writes `text` to `dir`/`name`: into a new temporary file in `dir` (created relative
/// to the directory's descriptor with O_EXCL|O_NOFOLLOW, mode 0644, a name that does
/// not end in ".prom"), flushed to disk, then renamed over `name` (which replaces a
/// symbolic link planted there, never follows it). Returns "" on success, else the
/// reason; the temporary file is removed on failure.
std::string write_file_atomically(const std::string& dir, const std::string& name, const std::string& text);

}  // namespace torchdiag
