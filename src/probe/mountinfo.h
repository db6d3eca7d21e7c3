#pragma once
// /proc/PID/mountinfo, format per Documentation/filesystems/proc.rst ("3.5 /proc/<pid>/mountinfo").
#include <string>
#include <string_view>
#include <vector>

namespace torchdiag {

struct MountEntry {
  std::string root;         ///< field 4: the directory of the file system mounted here
  std::string mount_point;  ///< field 5, octal escapes decoded
  std::string fstype;       ///< after the " - " separator
  std::string source;
  std::vector<std::string> super_options;
};

/// Decodes the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash).
std::string unescape_mount_field(std::string_view field);

/// Parses every well-formed line; malformed lines are skipped.
std::vector<MountEntry> parse_mountinfo(std::string_view text);

/// The mounts a path lookup sees: of several mounts stacked on one mount point, only the
/// last one (mountinfo lists mounts in the order they were made), in input order.
std::vector<MountEntry> visible_mounts(const std::vector<MountEntry>& mounts);

}  // namespace torchdiag
