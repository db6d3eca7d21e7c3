#pragma once
// A file a user named on the command line (not under --root): read whole, only when it
// is a regular file, never past a cap.
#include <string>

#include "util/expected.h"

namespace torchdiag {

/// The contents of the regular file `path`. A FIFO, device or directory is refused
/// without being read (a FIFO is opened non-blocking, so this never waits for a writer);
/// a file larger than `max_bytes` is refused, never cut. Errors name no path.
Expected<std::string> read_user_file(const std::string& path, size_t max_bytes);

/// The ContentHash text of the regular file `path`, read in chunks (any size), with the
/// checks of read_user_file. Errors name no path.
Expected<std::string> hash_user_file(const std::string& path);

}  // namespace torchdiag
