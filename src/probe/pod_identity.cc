#include "probe/pod_identity.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

#include "util/strings.h"

namespace torchdiag {
namespace {

/// A container's id as runtimes name their cgroups: 64 hex digits.
bool is_container_id(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return hex_digit(c) >= 0; });
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
  return is_container_id(part) ? std::string(part) : "";
}

bool kubepods_part(std::string_view part) {
  return part == "kubepods" || starts_with(part, "kubepods.") || starts_with(part, "kubepods-");
}

/// The runtime named by one path component ("cri-containerd-<id>.scope" -> containerd),
/// with its hint; nullopt for any other component.
std::optional<std::pair<std::string, std::string>> runtime_of_scope(std::string_view part) {
  static const std::pair<std::string_view, std::string_view> kScopes[] = {
      {"cri-containerd-", "containerd"}, {"crio-", "cri-o"}, {"docker-", "docker"}, {"libpod-", "podman"}};
  const bool scope = part.size() > 6 && part.substr(part.size() - 6) == ".scope";
  const auto core = scope ? part.substr(0, part.size() - 6) : part;
  for (const auto& [prefix, runtime] : kScopes) {
    if (starts_with(core, prefix) && is_container_id(core.substr(prefix.size()))) {
      return std::make_pair(std::string(runtime),
                            "cgroup path has " + std::string(prefix) + "<id>" + (scope ? ".scope" : ""));
    }
  }
  return std::nullopt;
}

struct PathEvidence {
  std::string runtime;
  std::vector<std::string> hints;
  bool kubepods = false;
  std::string qos;
};

/// Reads the runtime and QoS from the components; the innermost runtime wins.
PathEvidence path_evidence(std::string_view cgroup_path) {
  PathEvidence e;
  std::string qos_hint;
  const auto parts = split(cgroup_path, '/');
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto part = parts[i];
    e.kubepods = e.kubepods || kubepods_part(part);
    if (auto found = runtime_of_scope(part)) {
      e.runtime = found->first;
      e.hints.push_back(found->second);
    } else if (part == "docker" && i + 1 < parts.size() && is_container_id(parts[i + 1])) {
      e.runtime = "docker";
      e.hints.push_back("cgroup path has /docker/<id>");
    } else if (e.kubepods && i + 1 == parts.size() && is_container_id(part)) {
      e.runtime = "containerd";
      e.hints.push_back("cgroup path ends in a bare container id under kubepods (containerd or another CRI runtime)");
    }
    for (const char* qos : {"burstable", "besteffort"}) {
      const bool cgroupfs = part == qos && i > 0 && parts[i - 1] == "kubepods";
      if (e.qos.empty() && (cgroupfs || starts_with(part, std::string("kubepods-") + qos))) {
        e.qos = qos;
        qos_hint = std::string("cgroup path has kubepods") + (cgroupfs ? "/" : "-") + qos;
      }
    }
  }
  if (!qos_hint.empty()) e.hints.push_back(qos_hint);
  return e;
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

ContainerFacts container_facts(std::string_view cgroup_path, const ContainerMarkers& markers,
                               const std::string& cgroup_file) {
  auto e = path_evidence(cgroup_path);
  ContainerFacts out;
  out.pod_uid = pod_identity(cgroup_path, {}).pod_uid;
  if (e.kubepods && !out.pod_uid.empty() && e.qos.empty()) {
    e.qos = "guaranteed";
    e.hints.push_back("cgroup path has a kubepods pod with no QoS component (guaranteed)");
  }
  out.kube_qos = e.qos;
  const bool path_shows_container = !e.runtime.empty() || e.kubepods;
  if (markers.dockerenv) e.hints.push_back(kDockerEnvMarker + " exists");
  if (markers.containerenv) e.hints.push_back(kContainerEnvMarker + " exists");
  if (e.runtime.empty()) e.runtime = markers.dockerenv ? "docker" : markers.containerenv ? "podman" : "";
  const auto parts = split(cgroup_path, '/');  // the leading '/' gives an empty first part
  const bool unit = parts.size() > 2 && parts[0].empty() && (parts[1] == "system.slice" || parts[1] == "user.slice");
  if (e.runtime.empty() && unit) {
    e.runtime = "systemd";
    e.hints.push_back("cgroup path is under /" + std::string(parts[1]) + "/ with no container id");
  }
  out.runtime = std::move(e.runtime);
  out.hints = std::move(e.hints);
  if (path_shows_container) {
    out.cgroup_namespace = Fact<bool>::known(false, cgroup_file);  // the host's hierarchy shows through
  } else if (cgroup_path == "/" && (markers.dockerenv || markers.containerenv)) {
    out.cgroup_namespace = Fact<bool>::known(true, cgroup_file);  // a container that sees itself at the root
  } else {
    out.cgroup_namespace = Fact<bool>::unavailable("cannot tell from the cgroup path", cgroup_file);
  }
  return out;
}

}  // namespace torchdiag
