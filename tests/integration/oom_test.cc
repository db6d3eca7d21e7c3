// A worker killed by the kernel's OOM killer in a real cgroup v1 memory limit is
// reported as such; the counterpart (SIGKILL from someone else is not) is in
// tests/cli/safety_test.cc. Skipped, with the reason, where memory cgroups cannot be made.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cli/run_binary.h"
#include "integration/quota_cgroup.h"

using namespace torchdiag::test;

TEST_CASE("a worker the OOM killer ends in a memory cgroup is reported as an OOM kill", "[integration][oom][worker]") {
  if (!have_worker()) return;
  const std::string hierarchy = "/sys/fs/cgroup/memory";
  if (const auto why = why_no_cgroup_v1(hierarchy, "memory.limit_in_bytes"); !why.empty()) {
    WARN("skipped: cannot create cgroup v1 memory limits here (" << why << ")");
    return;
  }
  // LibTorch alone needs about 200 MiB; the model touches 1 GiB more.
  const TestCgroup cgroup(hierarchy, {{"memory.limit_in_bytes", std::to_string(600L << 20)}, {"memory.swappiness", "0"}});
  REQUIRE(cgroup.error() == "");
  const auto r = run_in_cgroup(cgroup,
                               {TORCHDIAG_BINARY, "bench", "--workload", "forward", "--threads", "1", "--model",
                                model("touches_1gib.pt"), "--input", "4x16", "--format", "json"},
                               child_environment({}), 120000);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.error == "");
  CHECK(r.exit_code == 1);  // the only configuration failed
  const auto j = nlohmann::json::parse(r.out);
  const auto error = j["results"][0]["error"].get<std::string>();
  CHECK(error.find("killed by the out-of-memory killer") != std::string::npos);
}
