#pragma once
// Kubernetes identity and container runtime of a process from its cgroup path, its
// environment and the runtimes' marker files. The kubelet
// names pod cgroups "pod<uid>" (cgroupfs driver: .../kubepods/burstable/pod<uid>/<id>)
// or "kubepods-<qos>-pod<uid with _>.slice" (systemd driver, containers in
// "cri-containerd-<id>.scope", "crio-<id>.scope" or "docker-<id>.scope").
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/node_facts.h"
#include "model/pod_identity.h"

namespace torchdiag {

/// The environment variables read for the identity: POD_NAMESPACE, POD_NAME, POD_UID,
/// CONTAINER_NAME (set from the downward API's metadata.namespace, .name, .uid).
const std::vector<std::string>& pod_env_names();

/// The files container runtimes leave in the container's root.
inline const std::string kDockerEnvMarker = "/.dockerenv";
inline const std::string kContainerEnvMarker = "/run/.containerenv";

/// Which container marker files were readable (through the FsReader, so a snapshot
/// copies them).
struct ContainerMarkers {
  bool dockerenv = false;     ///< /.dockerenv
  bool containerenv = false;  ///< /run/.containerenv (podman, and CRI-O too)
};

/// Runtime, Kubernetes QoS class, pod UID (as pod_identity() gives it, dashes) and a
/// cgroup-namespace guess from the process's cgroup path (as in proc/PID/cgroup) and the
/// marker files. Evidence in the path wins over marker files. `cgroup_file` becomes
/// cgroup_namespace.path. Pure; never fails.
ContainerFacts container_facts(std::string_view cgroup_path, const ContainerMarkers& markers,
                               const std::string& cgroup_file);

/// Pod UID and container id from the cgroup path (the UID from POD_UID when the path has
/// none), names from `env`. Pure; never fails (unknown parts stay "").
PodIdentity pod_identity(std::string_view cgroup_path, const std::map<std::string, std::string>& env);

}  // namespace torchdiag
