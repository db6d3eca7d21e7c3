#include "probe/pod_identity.h"

#include <algorithm>
#include <cctype>

#include "util/strings.h"

namespace torchdiag {
namespace {

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

/// "1234abcd-..." when `part` holds "pod" followed by a UID (dashes, or underscores in
/// systemd slice names), else "".
std::string uid_in(std::string_view part) {
  const auto at = part.rfind("pod");
  if (at == std::string_view::npos) return "";
  auto rest = part.substr(at + 3);
  if (const auto dot = rest.find('.'); dot != std::string_view::npos) rest = rest.substr(0, dot);
  if (rest.size() != 36) return "";
  std::string uid(rest);
  std::replace(uid.begin(), uid.end(), '_', '-');
  for (size_t i = 0; i < uid.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? uid[i] != '-' : !std::isxdigit(static_cast<unsigned char>(uid[i]))) return "";
  }
  return uid;
}

/// The 64-hex id of a container scope or directory ("cri-containerd-<id>.scope",
/// "docker-<id>.scope", "crio-<id>.scope", or "<id>"), else "".
std::string container_in(std::string_view part) {
  if (part.size() >= 6 && part.substr(part.size() - 6) == ".scope") part.remove_suffix(6);
  if (const auto dash = part.rfind('-'); dash != std::string_view::npos) part = part.substr(dash + 1);
  return part.size() == 64 && is_hex(part) ? std::string(part) : "";
}

}  // namespace

const std::vector<std::string>& pod_env_names() {
  static const std::vector<std::string> names = {"POD_NAMESPACE", "POD_NAME", "POD_UID", "CONTAINER_NAME"};
  return names;
}

PodIdentity pod_identity(std::string_view cgroup_path, const std::map<std::string, std::string>& env) {
  PodIdentity out;
  if (cgroup_path.find("kubepods") != std::string_view::npos) {
    for (const auto part : split(cgroup_path, '/')) {
      if (auto uid = uid_in(part); !uid.empty()) out.pod_uid = uid;
      if (auto id = container_in(part); !id.empty()) out.container_id = id;
    }
  }
  const auto get = [&](const char* name) {
    const auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  };
  if (out.pod_uid.empty()) out.pod_uid = get("POD_UID");  // a sidecar cannot see the app's cgroup path
  out.namespace_ = get("POD_NAMESPACE");
  out.pod = get("POD_NAME");
  out.container = get("CONTAINER_NAME");
  return out;
}

}  // namespace torchdiag
