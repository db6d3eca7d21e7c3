#include "probe/process_status.h"

#include <catch2/catch.hpp>

#include "unit/probe/temp_tree.h"

using namespace torchdiag;
using torchdiag::testing::TempTree;

namespace {

const char* kStatus =
    "Name:\tpython3\n"
    "State:\tS (sleeping)\n"
    "Tgid:\t4242\n"
    "Threads:\t17\n"
    "Cpus_allowed:\tff,0000000f\n"
    "Cpus_allowed_list:\t0-3,32-39\n"
    "Mems_allowed_list:\t0\n"
    "voluntary_ctxt_switches:\t153\n"
    "nonvoluntary_ctxt_switches:\t12\n"
    "Empty:\n"
    "Spaced:   value with  spaces   \n";

}  // namespace

TEST_CASE("status_field finds a field by its exact name", "[probe][status]") {
  struct Row {
    const char* name;
    std::optional<std::string> value;
  };
  const Row rows[] = {
      {"Name", "python3"},
      {"Threads", "17"},
      {"Cpus_allowed", "ff,0000000f"},
      {"Cpus_allowed_list", "0-3,32-39"},
      {"voluntary_ctxt_switches", "153"},
      {"nonvoluntary_ctxt_switches", "12"},
      {"Empty", ""},
      {"Spaced", "value with  spaces"},
      {"Cpus", std::nullopt},          // a prefix is not a name
      {"cpus_allowed", std::nullopt},  // names are case-sensitive
      {"Missing", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    CHECK(status_field(kStatus, row.name) == row.value);
  }
  CHECK_FALSE(status_field("", "Name"));
  CHECK_FALSE(status_field("no colon here\n", "no colon here"));
}

TEST_CASE("affinity_from_status prefers the list and falls back to the mask", "[probe][status]") {
  TempTree tree;
  REQUIRE(tree.ok());
  const FsReader fs(tree.root());

  SECTION("list and mask: the list wins") {
    tree.write("proc/self/status", "Cpus_allowed:\tff\nCpus_allowed_list:\t0-3\n");
    const auto a = affinity_from_status(fs, "/proc/self");
    REQUIRE(a.ok());
    CHECK(*a.value == CpuSet{0, 1, 2, 3});
    CHECK(a.path == "/proc/self/status");
  }
  SECTION("only the mask, with several words") {
    tree.write("proc/77/status", "Name:\tx\nCpus_allowed:\tff,0000000f\n");
    const auto a = affinity_from_status(fs, "/proc/77");
    REQUIRE(a.ok());
    CHECK(*a.value == CpuSet{0, 1, 2, 3, 32, 33, 34, 35, 36, 37, 38, 39});
    CHECK(a.path == "/proc/77/status");
  }
  SECTION("a broken list falls back to the mask") {
    tree.write("proc/self/status", "Cpus_allowed:\t3\nCpus_allowed_list:\tgarbage\n");
    const auto a = affinity_from_status(fs, "/proc/self");
    REQUIRE(a.ok());
    CHECK(*a.value == CpuSet{0, 1});
  }
  SECTION("neither field: unavailable with a reason and the path") {
    tree.write("proc/self/status", "Name:\tx\n");
    const auto a = affinity_from_status(fs, "/proc/self");
    CHECK_FALSE(a.ok());
    CHECK_FALSE(a.reason.empty());
    CHECK(a.path == "/proc/self/status");
  }
  SECTION("an all-zero mask is not an affinity") {
    tree.write("proc/self/status", "Cpus_allowed:\t00000000\nCpus_allowed_list:\t\n");
    CHECK_FALSE(affinity_from_status(fs, "/proc/self").ok());
  }
  SECTION("no status file") {
    const auto a = affinity_from_status(fs, "/proc/self");
    CHECK_FALSE(a.ok());
    CHECK(a.reason.find("No such file") != std::string::npos);
  }
}

TEST_CASE("affinity_from_status reads a 256-CPU host's fixture", "[probe][status]") {
  const FsReader fs(std::string(TORCHDIAG_FIXTURES) + "/roots/large-host");
  const auto a = affinity_from_status(fs, "/proc/self");
  REQUIRE(a.ok());
  CHECK(a.value->size() == 16);
  CHECK(a.value->front() == 0);
  CHECK(a.value->back() == 135);
  CHECK(format_cpu_list(*a.value) == "0-7,128-135");
}
