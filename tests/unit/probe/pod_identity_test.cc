// Kubernetes identity from a cgroup path and the downward-API variables: the kubelet's
// cgroupfs and systemd layouts, the container runtimes' scope names, and paths that only
// look like them.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "probe/pod_identity.h"

using namespace torchdiag;

namespace {

const std::string kUid = "0a1b2c3d-4e5f-4a6b-8c7d-0123456789ab";
const std::string kUidSystemd = "0a1b2c3d_4e5f_4a6b_8c7d_0123456789ab";
const std::string kCid = "3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e";

struct PathCase {
  const char* what;
  std::string path;
  std::string pod_uid;
  std::string container_id;
};

}  // namespace

TEST_CASE("pod_identity: pod UID and container id from the cgroup path", "[probe][pod]") {
  REQUIRE(kUid.size() == 36);
  REQUIRE(kCid.size() == 64);
  const std::string slice = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidSystemd + ".slice";
  const std::vector<PathCase> cases = {
      // cgroupfs driver
      {"cgroupfs burstable", "/kubepods/burstable/pod" + kUid + "/" + kCid, kUid, kCid},
      {"cgroupfs besteffort", "/kubepods/besteffort/pod" + kUid + "/" + kCid, kUid, kCid},
      {"cgroupfs guaranteed (no QoS directory)", "/kubepods/pod" + kUid + "/" + kCid, kUid, kCid},
      {"cgroupfs pod without a container", "/kubepods/burstable/pod" + kUid, kUid, ""},
      {"cgroupfs with crio-<id>", "/kubepods/burstable/pod" + kUid + "/crio-" + kCid, kUid, kCid},
      // systemd driver
      {"systemd containerd", slice + "/cri-containerd-" + kCid + ".scope", kUid, kCid},
      {"systemd docker", slice + "/docker-" + kCid + ".scope", kUid, kCid},
      {"systemd crio", slice + "/crio-" + kCid + ".scope", kUid, kCid},
      {"systemd guaranteed", "/kubepods.slice/kubepods-pod" + kUidSystemd + ".slice/cri-containerd-" + kCid + ".scope",
       kUid, kCid},
      {"systemd besteffort", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidSystemd +
                                 ".slice/cri-containerd-" + kCid + ".scope",
       kUid, kCid},
      {"systemd pod slice without a container", slice, kUid, ""},
      // Not Kubernetes: no pod, and no container id either (only read under kubepods).
      {"plain docker (cgroupfs)", "/docker/" + kCid, "", ""},
      {"plain docker (systemd)", "/system.slice/docker-" + kCid + ".scope", "", ""},
      {"a systemd service", "/system.slice/nginx.service", "", ""},
      {"a user session", "/user.slice/user-1000.slice/session-3.scope", "", ""},
      {"the root cgroup", "/", "", ""},
      {"an empty path", "", "", ""},
      {"a pod-like directory outside kubepods", "/machine/pod" + kUid + "/" + kCid, "", ""},
      // Malformed UIDs: the container id is still read.
      {"UID one character short", "/kubepods/burstable/pod" + kUid.substr(1) + "/" + kCid, "", kCid},
      {"UID one character long", "/kubepods/burstable/pod" + kUid + "0/" + kCid, "", kCid},
      {"UID with a non-hex digit", "/kubepods/burstable/pod0a1b2c3d-4e5f-4a6b-8c7d-0123456789ag/" + kCid, "", kCid},
      {"UID with a dash moved", "/kubepods/burstable/pod0a1b2c3d4-e5f-4a6b-8c7d-0123456789ab/" + kCid, "", kCid},
      {"UID without dashes", "/kubepods/burstable/pod0a1b2c3d04e5f04a6b08c7d00123456789ab/" + kCid, "", kCid},
      {"systemd UID one character short",
       "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidSystemd.substr(1) +
           ".slice/cri-containerd-" + kCid + ".scope",
       "", kCid},
      {"empty UID", "/kubepods/burstable/pod/" + kCid, "", kCid},
      // Malformed container ids: the UID is still read.
      {"container id 63 digits", "/kubepods/burstable/pod" + kUid + "/" + kCid.substr(1), kUid, ""},
      {"container id 65 digits", "/kubepods/burstable/pod" + kUid + "/" + kCid + "0", kUid, ""},
      {"container id with a non-hex digit", "/kubepods/burstable/pod" + kUid + "/" + kCid.substr(1) + "z", kUid, ""},
      {"scope with a short id", slice + "/cri-containerd-" + kCid.substr(0, 12) + ".scope", kUid, ""},
  };
  const std::map<std::string, std::string> no_env;
  for (const auto& c : cases) {
    INFO(c.what << ": " << c.path);
    const auto id = pod_identity(c.path, no_env);
    CHECK(id.pod_uid == c.pod_uid);
    CHECK(id.container_id == c.container_id);
    CHECK(id.namespace_.empty());
    CHECK(id.pod.empty());
    CHECK(id.container.empty());
    CHECK(id.empty() == (c.pod_uid.empty() && c.container_id.empty()));
  }
}

TEST_CASE("pod_identity: the UID of a systemd slice comes back with dashes", "[probe][pod]") {
  const auto id = pod_identity("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidSystemd +
                                   ".slice/cri-containerd-" + kCid + ".scope",
                               {});
  CHECK(id.pod_uid == kUid);
  CHECK(id.pod_uid.find('_') == std::string::npos);
}

TEST_CASE("pod_identity: POD_NAMESPACE, POD_NAME, POD_UID and CONTAINER_NAME from the environment",
          "[probe][pod]") {
  CHECK(pod_env_names() == std::vector<std::string>{"POD_NAMESPACE", "POD_NAME", "POD_UID", "CONTAINER_NAME"});
  const std::string path = "/kubepods/burstable/pod" + kUid + "/" + kCid;
  SECTION("all three") {
    const auto id = pod_identity(path, {{"POD_NAMESPACE", "ml"}, {"POD_NAME", "serve-7d9f"}, {"CONTAINER_NAME", "model"}});
    CHECK(id.pod_uid == kUid);
    CHECK(id.container_id == kCid);
    CHECK(id.namespace_ == "ml");
    CHECK(id.pod == "serve-7d9f");
    CHECK(id.container == "model");
  }
  SECTION("some of them") {
    const auto id = pod_identity(path, {{"POD_NAME", "serve-7d9f"}});
    CHECK(id.namespace_.empty());
    CHECK(id.pod == "serve-7d9f");
    CHECK(id.container.empty());
  }
  SECTION("other names are not read") {
    const auto id = pod_identity("/", {{"NAMESPACE", "x"},
                                       {"UID", kUid},
                                       {"pod_uid", kUid},
                                       {"HOSTNAME", "serve-7d9f"},
                                       {"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                                       {"pod_name", "lower"},
                                       {"CONTAINER_ID", kCid}});
    CHECK(id.empty());
  }
  SECTION("the variables alone, outside any pod cgroup") {
    const auto id = pod_identity("/", {{"POD_NAMESPACE", "batch"}, {"CONTAINER_NAME", "job"}});
    CHECK(id.pod_uid.empty());
    CHECK(id.container_id.empty());
    CHECK(id.namespace_ == "batch");
    CHECK(id.container == "job");
    CHECK_FALSE(id.empty());
  }
  SECTION("POD_UID when the cgroup path has no pod UID") {
    const auto id = pod_identity("/", {{"POD_UID", kUid}});
    CHECK(id.pod_uid == kUid);
    CHECK(id.container_id.empty());
    const auto outside = pod_identity("/docker/" + kCid, {{"POD_UID", kUid}});
    CHECK(outside.pod_uid == kUid);
    CHECK(outside.container_id.empty());
    const auto no_pod_part = pod_identity("/kubepods/burstable/" + kCid, {{"POD_UID", kUid}});
    CHECK(no_pod_part.pod_uid == kUid);
    CHECK(no_pod_part.container_id == kCid);
  }
  SECTION("the cgroup path's UID wins over POD_UID") {
    const std::string other = "ffffffff-ffff-4fff-8fff-ffffffffffff";
    const auto id = pod_identity(path, {{"POD_UID", other}});
    CHECK(id.pod_uid == kUid);
  }
  SECTION("POD_UID is taken as given") {
    CHECK(pod_identity("/", {{"POD_UID", "not-a-uid"}}).pod_uid == "not-a-uid");
    CHECK(pod_identity("/", {{"POD_UID", ""}}).pod_uid.empty());
  }
  SECTION("values are kept as they are") {
    const auto id = pod_identity("/", {{"POD_NAME", "a \"quoted\"\\name\n"}, {"POD_NAMESPACE", ""}});
    CHECK(id.pod == "a \"quoted\"\\name\n");
    CHECK(id.namespace_.empty());
  }
}
