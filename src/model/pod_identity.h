#pragma once
// Which Kubernetes pod and container a process belongs to, as far as its cgroup path
// and its environment tell. Every field is "" when unknown.
#include <string>

namespace torchdiag {

struct PodIdentity {
  std::string pod_uid;       ///< from a kubepods cgroup path ("pod<uid>"), else POD_UID
  std::string container_id;  ///< the container's 64-hex id at the end of the cgroup path
  std::string namespace_;    ///< POD_NAMESPACE (downward API convention)
  std::string pod;           ///< POD_NAME
  std::string container;     ///< CONTAINER_NAME
  bool empty() const { return pod_uid.empty() && container_id.empty() && namespace_.empty() && pod.empty() && container.empty(); }
};

}  // namespace torchdiag
