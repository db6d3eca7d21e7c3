#include "probe/cpu_topology.h"

#include <catch2/catch.hpp>
#include <string>

#include "unit/probe/temp_tree.h"

using namespace torchdiag;
using torchdiag::testing::TempTree;

namespace {

void write_cpu(const TempTree& tree, int cpu, int package, int core) {
  const auto base = "sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
  tree.write(base + "physical_package_id", std::to_string(package) + "\n");
  tree.write(base + "core_id", std::to_string(core) + "\n");
}

}  // namespace

TEST_CASE("probe_cpu_topology counts cores, siblings, sockets and nodes in the mask",
          "[probe][topology]") {
  TempTree tree;
  REQUIRE(tree.ok());
  // 2 sockets x 2 cores x 2 threads; core ids repeat per socket, as on real hosts.
  tree.write("sys/devices/system/cpu/online", "0-7\n");
  for (int cpu = 0; cpu < 8; ++cpu) write_cpu(tree, cpu, (cpu % 4) / 2, cpu % 2);
  tree.write("sys/devices/system/node/node0/cpulist", "0-1,4-5\n");
  tree.write("sys/devices/system/node/node1/cpulist", "2-3,6-7\n");
  tree.write("sys/devices/system/node/has_cpu", "0-1\n");  // not a node directory
  const FsReader fs(tree.root());

  SECTION("the whole machine") {
    const auto cpu = probe_cpu_topology(fs, Fact<CpuSet>::known({0, 1, 2, 3, 4, 5, 6, 7}));
    REQUIRE(cpu.online.ok());
    CHECK(cpu.online.value->size() == 8);
    REQUIRE(cpu.physical_cores.ok());
    CHECK(*cpu.physical_cores.value == 4);  // (0,0) (0,1) (1,0) (1,1)
    CHECK(*cpu.threads_per_core.value == 2);
    CHECK(*cpu.sockets.value == 2);
    REQUIRE(cpu.numa_nodes.ok());
    CHECK(*cpu.numa_nodes.value == 2);
  }
  SECTION("one thread of each core of socket 0") {
    const auto cpu = probe_cpu_topology(fs, Fact<CpuSet>::known({0, 1}));
    CHECK(*cpu.physical_cores.value == 2);
    CHECK(*cpu.threads_per_core.value == 1);
    CHECK(*cpu.sockets.value == 1);
    CHECK(*cpu.numa_nodes.value == 1);
  }
  SECTION("both threads of one core") {
    const auto cpu = probe_cpu_topology(fs, Fact<CpuSet>::known({0, 4}));
    CHECK(*cpu.physical_cores.value == 1);
    CHECK(*cpu.threads_per_core.value == 2);
  }
}

TEST_CASE("probe_cpu_topology reports missing topology files with their path",
          "[probe][topology]") {
  TempTree tree;
  REQUIRE(tree.ok());
  tree.write("sys/devices/system/cpu/online", "0-1\n");
  write_cpu(tree, 0, 0, 0);
  tree.write("sys/devices/system/cpu/cpu1/topology/physical_package_id", "0\n");
  const auto cpu = probe_cpu_topology(FsReader(tree.root()), Fact<CpuSet>::known({0, 1}));
  CHECK_FALSE(cpu.physical_cores.ok());
  CHECK(cpu.physical_cores.path == "/sys/devices/system/cpu/cpu1/topology/core_id");
  CHECK_FALSE(cpu.threads_per_core.ok());
  CHECK_FALSE(cpu.sockets.ok());
  CHECK_FALSE(cpu.numa_nodes.ok());  // no node directories at all
}

TEST_CASE("probe_cpu_topology without an affinity mask keeps the reason", "[probe][topology]") {
  TempTree tree;
  REQUIRE(tree.ok());
  tree.write("sys/devices/system/cpu/online", "0-3\n");
  const auto affinity =
      Fact<CpuSet>::unavailable("no valid Cpus_allowed_list", "/proc/self/status");
  const auto cpu = probe_cpu_topology(FsReader(tree.root()), affinity);
  CHECK(cpu.online.ok());
  CHECK_FALSE(cpu.affinity.ok());
  CHECK_FALSE(cpu.physical_cores.ok());
  CHECK(cpu.physical_cores.reason.find("no valid Cpus_allowed_list") != std::string::npos);
  CHECK(cpu.physical_cores.path == "/proc/self/status");
  CHECK_FALSE(cpu.numa_nodes.ok());
}

TEST_CASE("probe_cpu_topology reports a malformed online list", "[probe][topology]") {
  TempTree tree;
  REQUIRE(tree.ok());
  tree.write("sys/devices/system/cpu/online", "0-\n");
  write_cpu(tree, 0, 0, 0);
  const auto cpu = probe_cpu_topology(FsReader(tree.root()), Fact<CpuSet>::known({0}));
  CHECK_FALSE(cpu.online.ok());
  CHECK(cpu.online.path == "/sys/devices/system/cpu/online");
  CHECK(*cpu.physical_cores.value == 1);
}
