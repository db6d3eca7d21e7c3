#include "probe/mountinfo.h"

#include <unordered_map>

#include "util/strings.h"

namespace torchdiag {

std::string unescape_mount_field(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    const bool octal = field[i] == '\\' && i + 3 < field.size();
    if (octal && field[i + 1] >= '0' && field[i + 1] <= '3' && field[i + 2] >= '0' &&
        field[i + 2] <= '7' && field[i + 3] >= '0' && field[i + 3] <= '7') {
      out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                               (field[i + 3] - '0'));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
  std::vector<MountEntry> mounts;
  for (const auto line : split(text, '\n')) {
    const auto fields = split_ws(line);
    size_t sep = 0;
    for (size_t i = 6; i < fields.size(); ++i) {
      if (fields[i] == "-") {
        sep = i;
        break;
      }
    }
    if (sep == 0 || fields.size() < sep + 3) continue;
    MountEntry m;
    m.root = unescape_mount_field(fields[3]);
    m.mount_point = unescape_mount_field(fields[4]);
    m.fstype = std::string(fields[sep + 1]);
    m.source = unescape_mount_field(fields[sep + 2]);
    if (fields.size() > sep + 3) {
      for (const auto opt : split(fields[sep + 3], ',')) m.super_options.emplace_back(opt);
    }
    mounts.push_back(std::move(m));
  }
  return mounts;
}

std::vector<MountEntry> visible_mounts(const std::vector<MountEntry>& mounts) {
  std::unordered_map<std::string, size_t> last;  // mount point -> index of its top mount
  for (size_t i = 0; i < mounts.size(); ++i) last[mounts[i].mount_point] = i;
  std::vector<MountEntry> out;
  for (size_t i = 0; i < mounts.size(); ++i) {
    if (last[mounts[i].mount_point] == i) out.push_back(mounts[i]);
  }
  return out;
}

}  // namespace torchdiag
