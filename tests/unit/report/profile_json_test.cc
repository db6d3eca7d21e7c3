// The measured profile (torchdiag.profile/1) written and read back: every field round
// trips, and a hostile or damaged file is refused with a one-line reason naming the field.
#include "report/profile_json.h"

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/bench_spec.h"

using namespace torchdiag;
using nlohmann::json;

namespace {

/// A step; `times` is p50_s, p99_s, throughput_per_s and `shares` throttled_fraction, noise.
SearchStep step(const SearchPoint& point, bool ok, const std::string& error, const std::array<double, 3>& times,
                std::optional<int64_t> peak_rss_bytes, const std::array<double, 2>& shares, bool feasible,
                const std::string& verdict) {
  SearchStep s;
  s.point = point;
  s.result.ok = ok;
  s.result.error = error;
  s.result.p50_s = times[0];
  s.result.p99_s = times[1];
  s.result.throughput_per_s = times[2];
  s.result.peak_rss_bytes = peak_rss_bytes;
  s.result.throttled_fraction = shares[0];
  s.result.noise = shares[1];
  s.feasible = feasible;
  s.verdict = verdict;
  return s;
}

MeasuredProfile full_profile() {
  MeasuredProfile p;
  p.created = "2026-11-30T08:11:56Z";
  p.chosen = {4, 2, 2, 3, Allocator::kJemalloc};
  p.ld_preload = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
  p.malloc_conf = "background_thread:true,metadata_thp:auto";
  p.constraints_met = false;
  p.facts.usable_threads = 8;
  p.facts.quota_cpus = 7.5;
  p.facts.cpuset = "0-7,16";
  p.facts.cpu_model = "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz";
  p.facts.torch_version = "2.3.1";
  p.facts.workload = "forward";
  p.facts.model = "/models/r\xc3\xa9sum\xc3\xa9 \"q\"\\.pt";
  p.facts.model_hash = "fnv1a64:0123456789abcdef";
  p.facts.inputs = {"8x64x32:float32", "8:int64"};
  auto& s = p.search;
  s.objective = Objective::kP99;
  s.constraints.max_p99_s = 0.012;
  s.constraints.max_rss_bytes = int64_t{8} << 30;
  s.constraints.min_throughput = 150.5;
  s.steps.push_back(step({2, 1, 1, 1, Allocator::kGlibc}, true, "", {0.0031, 0.0094, 812.4}, int64_t{1} << 31,
                         {0.125, 0.031}, true, "start"));
  s.steps.push_back(step({4, 2, 2, 3, Allocator::kJemalloc}, false, "worker exited with signal 9 (SIGKILL)\ntail",
                         {0, 0, 0}, std::nullopt, {0, 0}, false, "violates --max-rss 8 GiB"));
  s.steps.push_back(step({kMaxThreads, kMaxThreads, 1, 2, Allocator::kGlibc}, true, "", {1e-9, 0.1 + 0.2, 1e12}, 0,
                         {1.0, 2.5}, true, "moved: +12.0% throughput (noise 3.1%)"));
  s.chosen = 2;
  s.stop_reason = "converged: no neighbour gains more than the noise";
  s.elapsed_s = 93.25;
  return p;
}

void check_same_result(const PointResult& a, const PointResult& b) {
  CHECK(a.ok == b.ok);
  CHECK(a.error == b.error);
  CHECK(a.p50_s == b.p50_s);
  CHECK(a.p99_s == b.p99_s);
  CHECK(a.throughput_per_s == b.throughput_per_s);
  CHECK(a.peak_rss_bytes == b.peak_rss_bytes);
  CHECK(a.throttled_fraction == b.throttled_fraction);
  CHECK(a.noise == b.noise);
}

void check_same(const MeasuredProfile& a, const MeasuredProfile& b) {
  CHECK(a.created == b.created);
  CHECK(a.chosen == b.chosen);
  CHECK(a.ld_preload == b.ld_preload);
  CHECK(a.malloc_conf == b.malloc_conf);
  CHECK(a.constraints_met == b.constraints_met);
  CHECK(a.facts.usable_threads == b.facts.usable_threads);
  CHECK(a.facts.quota_cpus == b.facts.quota_cpus);
  CHECK(a.facts.cpuset == b.facts.cpuset);
  CHECK(a.facts.cpu_model == b.facts.cpu_model);
  CHECK(a.facts.torch_version == b.facts.torch_version);
  CHECK(a.facts.workload == b.facts.workload);
  CHECK(a.facts.model == b.facts.model);
  CHECK(a.facts.model_hash == b.facts.model_hash);
  CHECK(a.facts.inputs == b.facts.inputs);
  CHECK(a.search.objective == b.search.objective);
  CHECK(a.search.constraints.max_p99_s == b.search.constraints.max_p99_s);
  CHECK(a.search.constraints.max_rss_bytes == b.search.constraints.max_rss_bytes);
  CHECK(a.search.constraints.min_throughput == b.search.constraints.min_throughput);
  REQUIRE(a.search.steps.size() == b.search.steps.size());
  for (size_t i = 0; i < a.search.steps.size(); ++i) {
    INFO("step " << i);
    CHECK(a.search.steps[i].point == b.search.steps[i].point);
    check_same_result(a.search.steps[i].result, b.search.steps[i].result);
    CHECK(a.search.steps[i].feasible == b.search.steps[i].feasible);
    CHECK(a.search.steps[i].verdict == b.search.steps[i].verdict);
  }
  CHECK(a.search.chosen == b.search.chosen);
  CHECK(a.search.stop_reason == b.search.stop_reason);
  CHECK(a.search.elapsed_s == b.search.elapsed_s);
}

json full_json() { return json::parse(profile_to_json_text(full_profile())); }

/// The reason parse_profile gives for `j` ("<read>" when it reads).
std::string refusal(const json& j) {
  const auto r = parse_profile(j.dump());
  return r.ok() ? "<read>" : r.error();
}

/// The reason for the full profile with the value at `pointer` replaced.
std::string refusal_with(const std::string& pointer, const json& value) {
  json j = full_json();
  j[json::json_pointer(pointer)] = value;
  return refusal(j);
}

/// The reason for the full profile without the member at `pointer`.
std::string refusal_without(const std::string& pointer) {
  json j = full_json();
  const json::json_pointer ptr(pointer);
  j[ptr.parent_pointer()].erase(ptr.back());
  return refusal(j);
}

}  // namespace

TEST_CASE("profile: a full profile round trips, every field and every step", "[report][profile]") {
  const auto p = full_profile();
  const auto text = profile_to_json_text(p);
  const auto back = parse_profile(text);
  REQUIRE(back.ok());
  check_same(p, *back);
  CHECK(profile_to_json_text(*back) == text);
}

TEST_CASE("profile: a minimal profile round trips with its optional fields unset", "[report][profile]") {
  MeasuredProfile p;  // no constraints, no chosen step, no steps, no quota, no cpuset, glibc
  p.created = "2026-11-30T08:11:56Z";
  const auto text = profile_to_json_text(p);
  const auto j = json::parse(text);
  CHECK(j["search"]["constraints"].is_null());
  CHECK(j["search"]["chosen"].is_null());
  CHECK(j["facts"]["quota_cpus"].is_null());
  CHECK(j["facts"]["cpuset"].is_null());
  CHECK_FALSE(j["settings"].contains("LD_PRELOAD"));
  CHECK_FALSE(j["settings"].contains("MALLOC_CONF"));
  const auto back = parse_profile(text);
  REQUIRE(back.ok());
  check_same(p, *back);
  CHECK_FALSE(back->search.constraints.any());
}

TEST_CASE("profile: the document's layout", "[report][profile]") {
  const auto text = profile_to_json_text(full_profile());
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  const auto j = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  CHECK(keys ==
        std::vector<std::string>{"schema", "created", "settings", "chosen", "constraints_met", "facts", "search"});
  CHECK(j["schema"] == "torchdiag.profile/1");
  CHECK(j["settings"]["OMP_NUM_THREADS"] == "4");  // strings, as the environment holds them
  CHECK(j["settings"]["MKL_NUM_THREADS"] == "4");
  CHECK(j["settings"]["interop_threads"] == 2);
  CHECK(j["settings"]["allocator"] == "jemalloc");
  CHECK(j["settings"]["LD_PRELOAD"] == "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2");
  CHECK(j["chosen"] == nlohmann::ordered_json{
                           {"threads", 4}, {"interop", 2}, {"streams", 2}, {"workers", 3}, {"allocator", "jemalloc"}});
  CHECK(j["search"]["steps"][1]["result"]["peak_rss_bytes"].is_null());
  CHECK(j["search"]["constraints"]["max_rss_bytes"] == int64_t{8} << 30);
  CHECK(j["search"]["chosen"] == 2);
}

TEST_CASE("profile: search_to_json writes unset limits and no choice as null", "[report][profile]") {
  SearchOutcome s;
  s.constraints.max_p99_s = 0.01;
  const auto j = search_to_json(s);
  CHECK(j["objective"] == "throughput");
  CHECK(j["constraints"]["max_p99_s"] == 0.01);
  CHECK(j["constraints"]["max_rss_bytes"].is_null());
  CHECK(j["constraints"]["min_throughput"].is_null());
  CHECK(j["steps"].is_array());
  CHECK(j["chosen"].is_null());
}

TEST_CASE("profile: every prefix of a valid document is refused with a reason", "[report][profile]") {
  const auto text = profile_to_json_text(full_profile());
  const auto end = text.find_last_not_of(" \n");  // the text up to its last '}' is whole
  for (size_t n = 0; n <= end; ++n) {
    const auto r = parse_profile(std::string_view(text).substr(0, n));
    INFO("prefix of " << n << " bytes");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find('\n') == std::string::npos);
    if (n == 0) {
      CHECK(r.error() == "empty, not a torchdiag profile");
    } else {
      CHECK(r.error().rfind("not valid JSON (truncated or corrupted at byte ", 0) == 0);
    }
  }
  CHECK(parse_profile(R"({"schema": "torchdiag.profile/1")").error() ==
        "not valid JSON (truncated or corrupted at byte 32)");
  CHECK(parse_profile(R"({"schema": "torchdiag.profile/1"}x)").error() ==
        "not valid JSON (truncated or corrupted at byte 34)");
  CHECK(parse_profile(" \n\t").error() == "empty, not a torchdiag profile");
}

TEST_CASE("profile: another schema is named, a newer one says so", "[report][profile]") {
  const auto with_schema = [](const json& schema) {
    json j = full_json();
    j["schema"] = schema;
    return refusal(j);
  };
  CHECK(with_schema("torchdiag.profile/2") ==
        "written by a newer torchdiag (schema torchdiag.profile/2); this version reads torchdiag.profile/1");
  CHECK(with_schema("torchdiag.profile/10") ==
        "written by a newer torchdiag (schema torchdiag.profile/10); this version reads torchdiag.profile/1");
  CHECK(with_schema("torchdiag.bench/1") == "not a torchdiag profile (schema 'torchdiag.bench/1')");
  for (const char* odd : {"torchdiag.profile/0", "torchdiag.profile/01", "torchdiag.profile/1.1", "torchdiag.profile/",
                          "torchdiag.profile/2x", "TORCHDIAG.PROFILE/1"}) {
    CHECK(with_schema(odd) == fmt::format("not a torchdiag profile (schema '{}')", odd));
  }
  CHECK(with_schema(1) == "not a torchdiag profile (no \"schema\")");
  CHECK(with_schema("line\nbreak\x1b[31m") == "not a torchdiag profile (schema 'line?break?[31m')");
  CHECK(with_schema(std::string(200, 'x')) ==
        fmt::format("not a torchdiag profile (schema '{}...')", std::string(80, 'x')));
  CHECK(refusal(json::array({1, 2})) == "not a torchdiag profile (a JSON array, not an object)");
  CHECK(refusal(json::object()) == "not a torchdiag profile (no \"schema\")");
}

TEST_CASE("profile: a value of the wrong type names its field", "[report][profile]") {
  CHECK(refusal_with("/chosen/threads", "4") == "'chosen.threads': expected an integer 1..4096");
  CHECK(refusal_with("/chosen/threads", 4.0) == "'chosen.threads': expected an integer 1..4096");
  CHECK(refusal_with("/chosen", json::array()) == "'chosen': expected an object");
  CHECK(refusal_with("/created", 5) == "'created': expected a string of at most 4096 bytes");
  CHECK(refusal_with("/constraints_met", 1) == "'constraints_met': expected true or false");
  CHECK(refusal_with("/facts", "x") == "'facts': expected an object");
  CHECK(refusal_with("/facts/inputs", json::array({1})) ==
        "'facts.inputs[0]': expected a string of at most 4096 bytes");
  CHECK(refusal_with("/facts/quota_cpus", "4") ==
        "'facts.quota_cpus': expected a number of CPUs > 0 and at most 65536 or null");
  CHECK(refusal_with("/facts/cpuset", "0-3,x") ==
        "'facts.cpuset': expected a CPU list or null (bad CPU list item 'x')");
  CHECK(refusal_with("/search/steps", json::object()) == "'search.steps': expected an array of at most 10000 steps");
  CHECK(refusal_with("/search/steps/0", json::array()) == "'search.steps[0]': expected an object");
  CHECK(refusal_with("/search/steps/0/result/p50_s", "fast") ==
        "'search.steps[0].result.p50_s': expected a finite number >= 0");
  CHECK(refusal_with("/search/steps/2/result/peak_rss_bytes", 1.5) ==
        "'search.steps[2].result.peak_rss_bytes': expected an integer >= 0 or null");
  CHECK(refusal_with("/search/steps/1/feasible", "no") == "'search.steps[1].feasible': expected true or false");
  CHECK(refusal_with("/search/constraints", json::array()) == "'search.constraints': expected an object");
  CHECK(refusal_with("/search/constraints/max_rss_bytes", "8G") ==
        "'search.constraints.max_rss_bytes': expected an integer >= 0 or null");
  CHECK(refusal_with("/settings/OMP_NUM_THREADS", 4) ==
        "'settings.OMP_NUM_THREADS': expected a string of at most 4096 bytes");
}

TEST_CASE("profile: a missing field names its path", "[report][profile]") {
  CHECK(refusal_without("/created") == "'created': missing");
  CHECK(refusal_without("/chosen/workers") == "'chosen.workers': missing");
  CHECK(refusal_without("/settings") == "'settings': missing");
  CHECK(refusal_without("/facts/cpu_model") == "'facts.cpu_model': missing");
  CHECK(refusal_without("/facts/quota_cpus") == "'facts.quota_cpus': missing");  // null is written, so required
  CHECK(refusal_without("/search/steps/1/verdict") == "'search.steps[1].verdict': missing");
  CHECK(refusal_without("/search/steps/0/result") == "'search.steps[0].result': missing");
  CHECK(refusal_without("/search/constraints/min_throughput") == "'search.constraints.min_throughput': missing");
  CHECK(refusal_without("/search/chosen") == "'search.chosen': missing");
  CHECK(refusal_without("/search") == "'search': missing");
}

TEST_CASE("profile: numbers out of range are refused", "[report][profile]") {
  const std::string threads = fmt::format("'chosen.threads': expected an integer 1..{}", kMaxThreads);
  CHECK(refusal_with("/chosen/threads", 0) == threads);
  CHECK(refusal_with("/chosen/threads", -1) == threads);
  CHECK(refusal_with("/chosen/threads", kMaxThreads + 1) == threads);
  CHECK(refusal_with("/chosen/threads", UINT64_MAX) == threads);
  CHECK(refusal_with("/search/steps/0/point/interop", 0) ==
        "'search.steps[0].point.interop': expected an integer 1..4096");
  CHECK(refusal_with("/search/steps/0/point/streams", kMaxThreads + 1) ==
        "'search.steps[0].point.streams': expected an integer 1..4096");
  CHECK(refusal_with("/search/steps/0/result/p99_s", -0.5) ==
        "'search.steps[0].result.p99_s': expected a finite number >= 0");
  CHECK(refusal_with("/search/steps/0/result/throttled_fraction", 1.5) ==
        "'search.steps[0].result.throttled_fraction': expected a number 0..1");
  CHECK(refusal_with("/search/steps/0/result/peak_rss_bytes", -1) ==
        "'search.steps[0].result.peak_rss_bytes': expected an integer >= 0 or null");
  CHECK(refusal_with("/search/steps/0/result/peak_rss_bytes", UINT64_MAX) ==
        "'search.steps[0].result.peak_rss_bytes': expected an integer >= 0 or null");
  CHECK(refusal_with("/facts/usable_threads", 0) == "'facts.usable_threads': expected an integer 1..65536");
  CHECK(refusal_with("/facts/quota_cpus", 0) ==
        "'facts.quota_cpus': expected a number of CPUs > 0 and at most 65536 or null");
  CHECK(refusal_with("/search/elapsed_s", -1) == "'search.elapsed_s': expected a finite number >= 0");
  CHECK(refusal_with("/search/chosen", 3) == "'search.chosen': expected an index into 'search.steps' (0..2) or null");
  CHECK(refusal_with("/search/chosen", -1) == "'search.chosen': expected an index into 'search.steps' (0..2) or null");
  CHECK(refusal_with("/search/steps", json::array()) == "'search.chosen': expected null ('search.steps' is empty)");
  // Limits themselves are accepted, and integers where numbers are expected.
  CHECK(refusal_with("/search/steps/0/point/workers", kMaxThreads) == "<read>");
  CHECK(refusal_with("/search/steps/0/result/throttled_fraction", 1) == "<read>");
  CHECK(refusal_with("/search/elapsed_s", 0) == "<read>");
  // JSON has no NaN or infinity, and a literal too large for a double is not read as one.
  const auto text = full_json().dump();
  const auto replaced = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    const auto at = t.find(from);
    REQUIRE(at != std::string::npos);
    return parse_profile(t.replace(at, from.size(), to));
  };
  CHECK(replaced("\"elapsed_s\":93.25", "\"elapsed_s\":1e999").error().rfind("not valid JSON", 0) == 0);
  CHECK(replaced("\"elapsed_s\":93.25", "\"elapsed_s\":-1e999").error().rfind("not valid JSON", 0) == 0);
  CHECK(replaced("\"elapsed_s\":93.25", "\"elapsed_s\":1e-999").ok());  // underflow to 0 is harmless
  CHECK(replaced("\"elapsed_s\":93.25", "\"elapsed_s\":NaN").error().rfind("not valid JSON", 0) == 0);
  // A NaN written by a buggy caller comes out as null, which is refused rather than read as 0.
  auto p = full_profile();
  p.search.elapsed_s = std::nan("");
  CHECK(parse_profile(profile_to_json_text(p)).error() == "'search.elapsed_s': expected a finite number >= 0");
}

TEST_CASE("profile: settings that disagree with the chosen point are refused", "[report][profile]") {
  CHECK(refusal_with("/settings/OMP_NUM_THREADS", "8") ==
        "'settings.OMP_NUM_THREADS': expected \"4\", as 'chosen.threads' says");
  CHECK(refusal_with("/settings/MKL_NUM_THREADS", "04") ==
        "'settings.MKL_NUM_THREADS': expected \"4\", as 'chosen.threads' says");
  CHECK(refusal_with("/settings/workers", 1) == "'settings.workers': expected 3, as 'chosen' says");
  CHECK(refusal_with("/settings/allocator", "glibc") ==
        "'settings.allocator': expected \"jemalloc\", as 'chosen.allocator' says");
  CHECK(refusal_with("/settings/LD_PRELOAD", json::array()) ==
        "'settings.LD_PRELOAD': expected a string of at most 4096 bytes");
  json j = full_json();
  j["settings"].erase("LD_PRELOAD");
  const auto r = parse_profile(j.dump());
  REQUIRE(r.ok());
  CHECK(r->ld_preload.empty());
  CHECK(r->malloc_conf == "background_thread:true,metadata_thp:auto");
}

TEST_CASE("profile: unknown allocator, objective and workload names list the known ones", "[report][profile]") {
  CHECK(refusal_with("/chosen/allocator", "tcmalloc") ==
        "'chosen.allocator': unknown allocator 'tcmalloc' (known: glibc, jemalloc)");
  CHECK(refusal_with("/search/steps/1/point/allocator", "Jemalloc") ==
        "'search.steps[1].point.allocator': unknown allocator 'Jemalloc' (known: glibc, jemalloc)");
  CHECK(refusal_with("/search/steps/0/point/allocator", 1) ==
        "'search.steps[0].point.allocator': expected a string, one of glibc, jemalloc");
  CHECK(refusal_with("/search/objective", "speed") ==
        "'search.objective': unknown objective 'speed' (known: throughput, latency, p99)");
  CHECK(refusal_with("/search/objective", "p99\n") ==
        "'search.objective': unknown objective 'p99?' (known: throughput, latency, p99)");
  CHECK(refusal_with("/facts/workload", "train") ==
        "'facts.workload': unknown workload 'train' (known: index_select, forward)");
}

TEST_CASE("profile: fields it does not know are ignored", "[report][profile]") {
  json j = full_json();
  j["comment"] = "hand-tuned";
  j["facts"]["numa_nodes"] = {{"count", 2}, {"lists", {"0-3", "4-7"}}};
  j["search"]["steps"][0]["result"]["p90_s"] = 0.005;
  const auto r = parse_profile(j.dump());
  REQUIRE(r.ok());
  check_same(full_profile(), *r);
}

TEST_CASE("profile: huge, deep and long inputs are refused before they cost much", "[report][profile]") {
  CHECK(parse_profile(std::string(kMaxProfileBytes + 1, ' ')).error() ==
        fmt::format("too large ({} bytes; a profile is at most 8 MiB)", kMaxProfileBytes + 1));
  CHECK(parse_profile(std::string(1000000, '[')).error() == "nested deeper than 32 levels, not a torchdiag profile");
  CHECK(refusal_with("/facts/numa", json::parse(std::string(20, '[') + std::string(20, ']'))) == "<read>");
  CHECK(refusal_with("/search/stop_reason", std::string(4097, 'x')) ==
        "'search.stop_reason': expected a string of at most 4096 bytes");
  CHECK(refusal_with("/search/stop_reason", std::string(4096, 'x')) == "<read>");
  CHECK(refusal_with("/facts/inputs", json(std::vector<std::string>(257, "1x1"))) ==
        "'facts.inputs': expected an array of at most 256 inputs");
  json j = full_json();
  auto& steps = j["search"]["steps"];
  const json step = steps[0];
  while (steps.size() < 10000) steps.push_back(step);
  CHECK(refusal(j) == "<read>");
  steps.push_back(step);
  CHECK(refusal(j) == "'search.steps': expected an array of at most 10000 steps");
}

TEST_CASE("the fixture profiles read, and write back as they are", "[report][profile]") {
  for (const char* name : {"builtin.json", "full.json"}) {
    std::ifstream in(std::string(TORCHDIAG_FIXTURES) + "/profiles/" + name, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(name);
    const auto p = parse_profile(text);
    REQUIRE(p.ok());
    CHECK(profile_to_json_text(*p) == text);
  }
}
