// Runs the inspect pipeline (probe_inspect, compute_capacity, probe_node, diagnose) on every snapshot
// tree under fixtures/roots/ and compares it with <name>.expected.json beside the tree.
//
// Keys of an expected file. Always present:
//   cgroup_version, quota_cpus, quota_source    number/string, or null for "none"
//   allowed_cpus, usable_threads, affinity       ints (affinity: CPUs in the mask)
//   physical_cores                               int, or null for "unavailable"
//   finding_ids                                  ids that must be among the findings
// Optional:
//   warnings_min          at least this many cgroup warnings; when absent, none at all
//   warning_mentions      a substring one of the warnings must contain
//   absent_finding_ids, finding_severity ({id: "info"|"warning"|"critical"}),
//   limited_by, mounted_versions, cgroup_dir, cpuset (list, or null = unavailable),
//   weight, weight_kind, nr_throttled, throttled_s, cpu_stat_path, pressure_path,
//   pressure_some_avg10, online, threads_per_core, sockets, numa_nodes,
//   env (the exact map of thread-related variables)
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "advise/capacity_rules.h"
#include "advise/findings.h"
#include "probe/inspect_probe.h"
#include "probe/node_facts.h"
#include "probe/process_status.h"
#include "sys/environment.h"
#include "util/cpu_list.h"

using namespace torchdiag;
using nlohmann::json;
namespace stdfs = std::filesystem;

namespace {

const std::string kRoots = std::string(TORCHDIAG_FIXTURES) + "/roots";
const std::string kSuffix = ".expected.json";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  for (const auto& entry : stdfs::directory_iterator(kRoots)) {
    const auto file = entry.path().filename().string();
    if (ends_with(file, kSuffix)) names.push_back(file.substr(0, file.size() - kSuffix.size()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

json load_expected(const std::string& name) {
  const auto text = file_text(kRoots + "/" + name + kSuffix);
  REQUIRE_FALSE(text.empty());
  return json::parse(text);
}

/// What `torchdiag inspect --root DIR --no-torch` computes.
InspectReport run_inspect(const std::string& name) {
  const FsReader fs(kRoots + "/" + name);
  auto report = probe_inspect(fs);
  report.capacity = compute_capacity(report.cpu, report.cgroup);
  report.node = probe_node(fs, "/proc/self", report.cgroup.path);
  report.findings = diagnose(report);
  return report;
}

const Finding* find_finding(const InspectReport& r, const std::string& id) {
  for (const auto& f : r.findings) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

std::string describe_findings(const InspectReport& r) {
  std::string out;
  for (const auto& f : r.findings) out += f.id + "(" + to_string(f.severity) + ") ";
  return out;
}

std::string describe_warnings(const InspectReport& r) {
  std::string out;
  for (const auto& w : r.cgroup.warnings) out += "[" + w + "] ";
  return out;
}

template <class T>
void check_int_fact(const json& want, const Fact<T>& got) {
  if (want.is_null()) {
    CHECK_FALSE(got.ok());
  } else {
    REQUIRE(got.ok());
    CHECK(*got.value == want.get<T>());
  }
}

void check_cgroup_core(const json& e, const CgroupFacts& cg) {
  if (e.at("cgroup_version").is_null()) {
    CHECK_FALSE(cg.version.has_value());
  } else {
    REQUIRE(cg.version.has_value());
    CHECK(*cg.version == e["cgroup_version"].get<int>());
  }
  if (e.at("quota_cpus").is_null()) {
    CHECK_FALSE(cg.quota_cpus.has_value());
  } else {
    REQUIRE(cg.quota_cpus.has_value());
    CHECK(*cg.quota_cpus == Approx(e["quota_cpus"].get<double>()));
  }
  if (e.at("quota_source").is_null()) {
    CHECK(cg.quota_source.empty());
  } else {
    CHECK(cg.quota_source == e["quota_source"].get<std::string>());
  }
}

void check_capacity_core(const json& e, const InspectReport& r) {
  CHECK(r.capacity.allowed_cpus == e.at("allowed_cpus").get<int>());
  CHECK(r.capacity.usable_threads == e.at("usable_threads").get<int>());
  CHECK(affinity_count(r.cpu, r.cgroup) == e.at("affinity").get<int>());
  REQUIRE(r.cpu.affinity.ok());
  CHECK(static_cast<int>(r.cpu.affinity.value->size()) == e["affinity"].get<int>());
  check_int_fact(e.at("physical_cores"), r.cpu.physical_cores);
  if (e.contains("limited_by")) {
    CHECK(std::string(to_string(r.capacity.limited_by)) == e["limited_by"].get<std::string>());
  }
}

void check_findings(const json& e, const InspectReport& r) {
  INFO("findings: " << describe_findings(r));
  for (const auto& id : e.at("finding_ids")) {
    INFO("must fire: " << id.get<std::string>());
    CHECK(find_finding(r, id.get<std::string>()) != nullptr);
  }
  const json absent = e.value("absent_finding_ids", json::array());
  for (const auto& id : absent) {
    INFO("must not fire: " << id.get<std::string>());
    CHECK(find_finding(r, id.get<std::string>()) == nullptr);
  }
  const json severities = e.value("finding_severity", json::object());
  for (const auto& [id, severity] : severities.items()) {
    INFO("severity of " << id);
    const auto* f = find_finding(r, id);
    REQUIRE(f != nullptr);
    CHECK(std::string(to_string(f->severity)) == severity.get<std::string>());
  }
}

void check_warnings(const json& e, const InspectReport& r) {
  const auto& warnings = r.cgroup.warnings;
  INFO("warnings: " << describe_warnings(r));
  if (e.contains("warnings_min")) {
    CHECK(static_cast<int>(warnings.size()) >= e["warnings_min"].get<int>());
  } else {
    CHECK(warnings.empty());
  }
  if (e.contains("warning_mentions")) {
    const auto needle = e["warning_mentions"].get<std::string>();
    INFO("a warning should mention: " << needle);
    CHECK(std::any_of(warnings.begin(), warnings.end(),
                      [&](const std::string& w) { return w.find(needle) != std::string::npos; }));
  }
}

void check_cgroup_detail(const json& e, const CgroupFacts& cg) {
  if (e.contains("mounted_versions")) {
    CHECK(cg.mounted_versions == e["mounted_versions"].get<std::vector<int>>());
  }
  if (e.contains("cgroup_dir")) CHECK(cg.dir == e["cgroup_dir"].get<std::string>());
  if (e.contains("cpuset")) {
    if (e["cpuset"].is_null()) {
      CHECK_FALSE(cg.cpuset.ok());
    } else {
      REQUIRE(cg.cpuset.ok());
      CHECK(format_cpu_list(*cg.cpuset.value) == e["cpuset"].get<std::string>());
    }
  }
  if (e.contains("weight")) check_int_fact<long long>(e["weight"], cg.weight);
  if (e.contains("weight_kind")) CHECK(cg.weight_kind == e["weight_kind"].get<std::string>());
  if (e.contains("nr_throttled")) {
    REQUIRE(cg.cpu_stat.ok());
    CHECK(cg.cpu_stat.value->nr_throttled == e["nr_throttled"].get<long long>());
  }
  if (e.contains("throttled_s")) {
    REQUIRE(cg.cpu_stat.ok());
    CHECK(cg.cpu_stat.value->throttled_s == Approx(e["throttled_s"].get<double>()));
  }
  if (e.contains("cpu_stat_path")) CHECK(cg.cpu_stat.path == e["cpu_stat_path"].get<std::string>());
  if (e.contains("pressure_path")) {
    REQUIRE(cg.pressure.ok());
    CHECK(cg.pressure.path == e["pressure_path"].get<std::string>());
  }
  if (e.contains("pressure_some_avg10")) {
    REQUIRE(cg.pressure.ok());
    CHECK(cg.pressure.value->some_avg10 == Approx(e["pressure_some_avg10"].get<double>()));
  }
}

void check_cpu_detail(const json& e, const CpuFacts& cpu) {
  if (e.contains("online")) {
    REQUIRE(cpu.online.ok());
    CHECK(static_cast<int>(cpu.online.value->size()) == e["online"].get<int>());
  }
  if (e.contains("threads_per_core")) check_int_fact(e["threads_per_core"], cpu.threads_per_core);
  if (e.contains("sockets")) check_int_fact(e["sockets"], cpu.sockets);
  if (e.contains("numa_nodes")) check_int_fact(e["numa_nodes"], cpu.numa_nodes);
}

void check_env(const json& e, const EnvFacts& env) {
  if (!e.contains("env")) return;
  CHECK(env.error.empty());
  CHECK(env.source == "/proc/self/environ");
  CHECK(env.vars == e["env"].get<std::map<std::string, std::string>>());
}

}  // namespace

TEST_CASE("every fixture root gives the facts its expected.json names", "[probe][fixtures]") {
  const auto names = fixture_names();
  REQUIRE(names.size() >= 15);
  for (const auto& name : names) {
    DYNAMIC_SECTION("root " << name) {
      const auto expected = load_expected(name);
      const auto report = run_inspect(name);
      CHECK(report.root == kRoots + "/" + name);
      check_cgroup_core(expected, report.cgroup);
      check_capacity_core(expected, report);
      check_findings(expected, report);
      check_warnings(expected, report);
      check_cgroup_detail(expected, report.cgroup);
      check_cpu_detail(expected, report.cpu);
      check_env(expected, report.env);
    }
  }
}

TEST_CASE("every fixture tree has an expected file and the files the probes need",
          "[probe][fixtures]") {
  std::vector<std::string> trees;
  for (const auto& entry : stdfs::directory_iterator(kRoots)) {
    if (entry.is_directory()) trees.push_back(entry.path().filename().string());
  }
  std::sort(trees.begin(), trees.end());
  CHECK(trees == fixture_names());
  for (const auto& name : trees) {
    INFO("root " << name);
    const auto base = kRoots + "/" + name + "/";
    for (const char* path : {"proc/self/cgroup", "proc/self/mountinfo", "proc/self/status",
                             "proc/self/environ", "sys/devices/system/cpu/online"}) {
      INFO(path);
      CHECK(stdfs::is_regular_file(base + path));
    }
  }
}

TEST_CASE("fixture status files agree between Cpus_allowed and Cpus_allowed_list",
          "[probe][fixtures]") {
  for (const auto& name : fixture_names()) {
    INFO("root " << name);
    const auto status = file_text(kRoots + "/" + name + "/proc/self/status");
    const auto list = status_field(status, "Cpus_allowed_list");
    const auto mask = status_field(status, "Cpus_allowed");
    REQUIRE(list.has_value());
    REQUIRE(mask.has_value());
    const auto from_list = parse_cpu_list(*list);
    const auto from_mask = parse_cpu_mask(*mask);
    REQUIRE(from_list.ok());
    REQUIRE(from_mask.ok());
    CHECK_FALSE(from_list.cpus.empty());
    CHECK(from_list.cpus == from_mask.cpus);
  }
}

TEST_CASE("fixture environ files are NUL-separated", "[probe][fixtures]") {
  for (const auto& name : fixture_names()) {
    INFO("root " << name);
    const auto text = file_text(kRoots + "/" + name + "/proc/self/environ");
    CHECK(text.find('\0') != std::string::npos);
    CHECK(text.find('\n') == std::string::npos);
    const auto vars = parse_environ(text);
    CHECK(vars.count("PATH") == 1);
    CHECK(vars.count("HOME") == 1);
  }
}
