#pragma once
// Kubernetes identity of a process from its cgroup path and environment. The kubelet
// names pod cgroups "pod<uid>" (cgroupfs driver: .../kubepods/burstable/pod<uid>/<id>)
// or "kubepods-<qos>-pod<uid with _>.slice" (systemd driver, containers in
// "cri-containerd-<id>.scope", "crio-<id>.scope" or "docker-<id>.scope").
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/pod_identity.h"

namespace torchdiag {

/// The environment variables read for the identity: POD_NAMESPACE, POD_NAME, POD_UID,
/// CONTAINER_NAME (set from the downward API's metadata.namespace, .name, .uid).
const std::vector<std::string>& pod_env_names();

/// Pod UID and container id from the cgroup path (the UID from POD_UID when the path has
/// none), names from `env`. Pure; never fails (unknown parts stay "").
PodIdentity pod_identity(std::string_view cgroup_path, const std::map<std::string, std::string>& env);

}  // namespace torchdiag
