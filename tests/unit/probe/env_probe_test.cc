#include "probe/env_probe.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "sys/environment.h"
#include "unit/probe/temp_tree.h"

using namespace torchdiag;
using torchdiag::testing::TempTree;
using Vars = std::map<std::string, std::string>;

namespace {

/// Builds environ content from a literal that uses '|' for NUL.
std::string nul_separated(std::string text) {
  for (auto& c : text) {
    if (c == '|') c = '\0';
  }
  return text;
}

}  // namespace

TEST_CASE("parse_environ splits NUL-separated NAME=VALUE entries", "[probe][env]") {
  struct Row {
    const char* text;  // '|' stands for NUL
    Vars expected;
  };
  const Row rows[] = {
      {"A=1|B=2|", {{"A", "1"}, {"B", "2"}}},
      {"A=1|B=2", {{"A", "1"}, {"B", "2"}}},  // no trailing NUL
      {"", {}},
      {"|", {}},
      {"EMPTY=|", {{"EMPTY", ""}}},
      {"X=a=b=c|", {{"X", "a=b=c"}}},  // only the first '=' separates
      {"NOEQUALS|A=1|", {{"A", "1"}}},
      {"=value|A=1|", {{"A", "1"}}},  // empty name
      {"A=1|A=2|", {{"A", "2"}}},     // the last definition wins
      {"SPACED=a b\tc|", {{"SPACED", "a b\tc"}}},
      {"MULTI=line1\nline2|", {{"MULTI", "line1\nline2"}}},
      {"A=1||B=2|", {{"A", "1"}, {"B", "2"}}},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    CHECK(parse_environ(nul_separated(row.text)) == row.expected);
  }
}

TEST_CASE("filter_thread_env keeps only thread and allocator variables", "[probe][env]") {
  const Vars all = {
      {"PATH", "/usr/bin"},      {"OMP_NUM_THREADS", "4"},
      {"MKL_NUM_THREADS", "2"},  {"LD_PRELOAD", "libjemalloc.so.2"},
      {"HOME", "/root"},         {"KMP_BLOCKTIME", "0"},
      {"OMP_NUM_THREADSX", "9"}, {"omp_num_threads", "9"},
      {"MALLOC_CONF", "x:1"},
  };
  const Vars expected = {
      {"OMP_NUM_THREADS", "4"}, {"MKL_NUM_THREADS", "2"}, {"LD_PRELOAD", "libjemalloc.so.2"},
      {"KMP_BLOCKTIME", "0"},   {"MALLOC_CONF", "x:1"},
  };
  CHECK(filter_thread_env(all) == expected);
  CHECK(filter_thread_env({}).empty());
}

TEST_CASE("probe_env reads the environ file of a snapshot", "[probe][env]") {
  TempTree tree;
  REQUIRE(tree.ok());
  const FsReader fs(tree.root());

  SECTION("own process under --root") {
    tree.write("proc/self/environ",
               nul_separated("PATH=/bin|OMP_NUM_THREADS=3|OMP_PROC_BIND=close|"));
    const auto env = probe_env(fs, "/proc/self");
    CHECK(env.error.empty());
    CHECK(env.source == "/proc/self/environ");
    CHECK(env.vars == Vars{{"OMP_NUM_THREADS", "3"}, {"OMP_PROC_BIND", "close"}});
  }
  SECTION("another process") {
    tree.write("proc/123/environ", nul_separated("MKL_NUM_THREADS=1|"));
    const auto env = probe_env(fs, "/proc/123");
    CHECK(env.source == "/proc/123/environ");
    CHECK(env.vars == Vars{{"MKL_NUM_THREADS", "1"}});
  }
  SECTION("an unreadable environment is reported, not thrown") {
    const auto env = probe_env(fs, "/proc/self");
    CHECK_FALSE(env.error.empty());
    CHECK(env.source == "/proc/self/environ");
    CHECK(env.vars.empty());
  }
}

TEST_CASE("probe_env can be forced to read the live environ file", "[probe][env]") {
  // The live /proc/self/environ holds this test binary's start-up environment; PATH is
  // not a thread variable, so the filtered map never contains it.
  const FsReader fs;
  const auto env = probe_env(fs, "/proc/self", /*force_file=*/true);
  CHECK(env.source == "/proc/self/environ");
  CHECK(env.vars.count("PATH") == 0);
  const auto live = probe_env(fs, "/proc/self");
  CHECK(live.source == "process environment");
}
