#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/recommend_render.h"

using namespace torchdiag;

namespace {

/// Values a renderer must carry through unharmed.
const std::vector<std::string> kHardValues = {
    "2", "a b", "it's", "'", "''x'", "$HOME `id` \"q\" \\ ;|&", "100%", "tab\there", "",
};

Recommendation sample(const std::vector<std::string>& values) {
  Recommendation r;
  r.omp_num_threads = 2;
  for (size_t i = 0; i < values.size(); ++i) {
    r.env.push_back({"V" + std::to_string(i), values[i], SettingSource::kComputed, "because"});
  }
  return r;
}

Recommendation typical() {
  Recommendation r;
  r.omp_num_threads = 2;
  r.env = {{"OMP_NUM_THREADS", "2", SettingSource::kComputed, "2 = max(1, 4 usable threads / ...)"},
           {"MKL_NUM_THREADS", "2", SettingSource::kFollows, "same"}};
  r.facts.usable_threads = 4;
  r.facts.allowed_cpus = 5;
  r.facts.limited_by = LimitedBy::kQuota;
  r.facts.quota_cpus = 4.5;
  r.facts.quota_source = "/sys/fs/cgroup/cpu.max";
  r.facts.affinity = "0-7";
  r.facts.affinity_cpus = 8;
  r.facts.workers = 2;
  r.candidates = {{2, "share", "chosen", true}, {4, "usable", "rejected", false}};
  r.problems = {{"cpu.max: garbage", false}};
  r.warnings = {{"oversubscription", "too many workers"}};
  return r;
}

std::string render(const Recommendation& r, Format f, bool explain = false) {
  const auto text = render_recommendation(r, f, explain);
  REQUIRE(text);
  return *text;
}

/// A temporary file holding `text`, removed when the object goes away.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/torchdiag-recommend-XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
    std::ofstream(path, std::ios::binary) << text;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

/// Runs `sh -c script file` through popen; returns stdout. `$0` is the file.
std::string run_sh(const std::string& script, const std::string& file) {
  const std::string cmd = "sh -c '" + script + "' '" + file + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  CHECK(::pclose(p) == 0);
  return out;
}

/// "V0\036V1\036..." printed by sh for the sample's variables.
std::string print_vars_script(size_t count) {
  std::string script = "printf \"%s\\036\"";
  for (size_t i = 0; i < count; ++i) script += " \"$V" + std::to_string(i) + "\"";
  return script;
}

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += v + "\036";
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("shell output round-trips through a real sh eval", "[recommend][report]") {
  auto values = kHardValues;
  values.push_back("two\nlines");
  const auto text = render(sample(values), Format::kShell);
  for (const auto& line : lines_of(render(sample(kHardValues), Format::kShell))) {
    CHECK_THAT(line, Catch::StartsWith("export V"));
  }
  const TempFile f(text);
  const auto out = run_sh("eval \"$(cat \"$0\")\"; " + print_vars_script(values.size()), f.path);
  CHECK(out == joined(values));
}

TEST_CASE("shell_quote writes each single quote as '\\''", "[recommend][report]") {
  CHECK(shell_quote("abc") == "'abc'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("") == "''");
}

TEST_CASE("env output is K=V lines without quotes", "[recommend][report]") {
  const auto text = render(typical(), Format::kEnv);
  CHECK(text == "OMP_NUM_THREADS=2\nMKL_NUM_THREADS=2\n");
  const auto spaced = render(sample({"a b", "it's"}), Format::kEnv);
  CHECK(spaced == "V0=a b\nV1=it's\n");
}

TEST_CASE("docker output is -e flags on one line, each one shell word", "[recommend][report]") {
  CHECK(render(typical(), Format::kDocker) == "-e OMP_NUM_THREADS=2 -e MKL_NUM_THREADS=2\n");
  const auto text = render(sample(kHardValues), Format::kDocker);
  CHECK(lines_of(text).size() == 1);
  const TempFile f(text);
  const auto out = run_sh("eval \"set -- $(cat \"$0\")\"; printf \"%s\\036\" \"$@\"", f.path);
  std::vector<std::string> expected;
  for (size_t i = 0; i < kHardValues.size(); ++i) {
    expected.push_back("-e");
    expected.push_back("V" + std::to_string(i) + "=" + kHardValues[i]);
  }
  CHECK(out == joined(expected));
}

TEST_CASE("systemd output is Environment=\"K=V\" lines with escapes", "[recommend][report]") {
  CHECK(render(typical(), Format::kSystemd) ==
        "Environment=\"OMP_NUM_THREADS=2\"\nEnvironment=\"MKL_NUM_THREADS=2\"\n");
  CHECK(systemd_escape("a\"b\\c%d") == "a\\\"b\\\\c%%d");
  const std::regex line(R"re(^Environment="V\d+=([^"\\]|\\.|%%)*"$)re");
  for (const auto& l : lines_of(render(sample(kHardValues), Format::kSystemd))) {
    INFO(l);
    CHECK(std::regex_match(l, line));
  }
}

namespace {

/// Parses the k8s form with a small structural parser: "env:", then for each
/// variable "- name: K" and "  value: <double-quoted scalar>" (decoded as JSON, which
/// is the subset of YAML double-quoted scalars the renderer writes).
std::vector<std::pair<std::string, std::string>> parse_k8s(const std::string& text) {
  const auto lines = lines_of(text);
  REQUIRE(!lines.empty());
  CHECK(lines[0] == "env:");
  REQUIRE(lines.size() % 2 == 1);
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 1; i + 1 < lines.size(); i += 2) {
    REQUIRE_THAT(lines[i], Catch::StartsWith("- name: "));
    REQUIRE_THAT(lines[i + 1], Catch::StartsWith("  value: \""));
    const auto value = nlohmann::json::parse(lines[i + 1].substr(9)).get<std::string>();
    out.emplace_back(lines[i].substr(8), value);
  }
  return out;
}

bool python_yaml_available() {
  return std::system("python3 -c 'import yaml' >/dev/null 2>&1") == 0;
}

}  // namespace

TEST_CASE("k8s output is an env: list with quoted values", "[recommend][report]") {
  auto values = kHardValues;
  values.push_back("two\nlines");
  values.push_back("yes");  // would be a boolean unquoted
  values.push_back("1e3");  // would be a number unquoted
  const auto text = render(sample(values), Format::kK8s);
  const auto parsed = parse_k8s(text);
  REQUIRE(parsed.size() == values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    CHECK(parsed[i].first == "V" + std::to_string(i));
    CHECK(parsed[i].second == values[i]);
  }
  if (!python_yaml_available()) {
    WARN("python3 yaml module missing: the YAML parser cross-check is skipped");
    return;
  }
  const TempFile f(text);
  const auto json_text = run_sh(
      "python3 -c \"import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))\" "
      "\"$0\"",
      f.path);
  const auto doc = nlohmann::json::parse(json_text);
  REQUIRE(doc["env"].size() == values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    CHECK(doc["env"][i]["name"] == "V" + std::to_string(i));
    CHECK(doc["env"][i]["value"] == values[i]);
  }
}

TEST_CASE("json output follows torchdiag.recommend/1", "[recommend][report]") {
  const auto doc = nlohmann::json::parse(render(typical(), Format::kJson));
  CHECK(doc["schema"] == "torchdiag.recommend/1");
  CHECK(doc["mode"] == "quick");
  CHECK(doc["omp_num_threads"].is_number_integer());
  CHECK(doc["omp_num_threads"] == 2);
  CHECK(doc["env"] == nlohmann::json{{"OMP_NUM_THREADS", "2"}, {"MKL_NUM_THREADS", "2"}});
  REQUIRE(doc["reasons"].size() == 2);
  CHECK(doc["reasons"][1]["source"] == "follows");
  CHECK(doc["reasons"][0]["reason"] == "2 = max(1, 4 usable threads / ...)");
  const auto& facts = doc["facts"];
  CHECK(facts["usable_threads"] == 4);
  CHECK(facts["allowed_cpus"] == 5);
  CHECK(facts["quota_cpus"] == 4.5);
  CHECK(facts["affinity"] == "0-7");
  CHECK(facts["workers"] == 2);
  CHECK(facts["streams"] == 1);
  CHECK(doc["candidates"][0]["chosen"] == true);
  CHECK(doc["warnings"] == nlohmann::json{"cpu.max: garbage", "too many workers"});

  SECTION("unknown facts are null") {
    Recommendation r = typical();
    r.facts.quota_cpus.reset();
    r.facts.affinity.reset();
    const auto j = nlohmann::json::parse(render(r, Format::kJson));
    CHECK(j["facts"]["quota_cpus"].is_null());
    CHECK(j["facts"]["affinity"].is_null());
  }
  SECTION("invalid UTF-8 in a message does not break the document") {
    Recommendation r = typical();
    r.problems = {{"OMP_NUM_THREADS='\xff' is not a positive integer", true}};
    CHECK_NOTHROW(nlohmann::json::parse(render(r, Format::kJson)));
  }
}

TEST_CASE("text is for people; --explain adds the evidence table", "[recommend][report]") {
  const auto plain = render(typical(), Format::kText);
  CHECK_THAT(plain, Catch::Contains("OMP_NUM_THREADS=2") && Catch::Contains("Why") &&
                        Catch::Contains("eval \"$(torchdiag recommend --format shell)\""));
  CHECK_THAT(plain, !Catch::Contains("Candidates"));
  const auto explained = render(typical(), Format::kText, true);
  CHECK_THAT(explained, Catch::Contains("Facts used") && Catch::Contains("Candidates") &&
                            Catch::Contains("Why this value") && Catch::Contains("4.50"));
  CHECK(render_explain(typical()).find("*    2") != std::string::npos);
}

TEST_CASE("every listed format renders; others are refused", "[recommend][report]") {
  CHECK(recommend_formats().size() == 10);
  for (const auto f : recommend_formats()) {
    INFO(format_name(f));
    const auto text = render(typical(), f);
    CHECK_FALSE(text.empty());
    CHECK(text.back() == '\n');
  }
  CHECK_FALSE(render_recommendation(typical(), Format::kCsv));
  CHECK_FALSE(render_recommendation(typical(), Format::kMarkdown));
}

namespace {

/// A minimal reader of protobuf text format (what Triton's config.pbtxt is): fields
/// `name: value` and `name { ... }` / `name: { ... }`, lists `name [ {...}, ... ]`,
/// strings, numbers and enum words, # comments. Returns the fields seen as
/// "path=value" lines, or throws on anything else.
struct Pbtxt {
  std::string text;
  size_t at = 0;
  std::vector<std::string> fields;

  void skip() {
    while (at < text.size()) {
      if (std::isspace(static_cast<unsigned char>(text[at]))) {
        ++at;
      } else if (text[at] == '#') {
        while (at < text.size() && text[at] != '\n') ++at;
      } else {
        break;
      }
    }
  }
  std::string word() {
    skip();
    const size_t start = at;
    while (at < text.size() && (std::isalnum(static_cast<unsigned char>(text[at])) || text[at] == '_')) ++at;
    if (start == at) throw std::runtime_error("expected a name at " + std::to_string(start));
    return text.substr(start, at - start);
  }
  bool eat(char c) {
    skip();
    if (at < text.size() && text[at] == c) {
      ++at;
      return true;
    }
    return false;
  }
  std::string scalar() {
    skip();
    if (eat('"')) {
      const size_t end = text.find('"', at);
      if (end == std::string::npos) throw std::runtime_error("unterminated string");
      auto v = text.substr(at, end - at);
      at = end + 1;
      return "\"" + v + "\"";
    }
    return word();
  }
  void message(const std::string& path, char close) {
    while (true) {
      skip();
      if (close && eat(close)) return;
      if (!close && at >= text.size()) return;
      const auto name = word();
      const bool colon = eat(':');
      if (eat('{')) {
        message(path + name + ".", '}');
      } else if (eat('[')) {
        do {
          if (eat('{')) message(path + name + ".", '}');
          else fields.push_back(path + name + "=" + scalar());
        } while (eat(','));
        if (!eat(']')) throw std::runtime_error("expected ]");
      } else {
        if (!colon) throw std::runtime_error("expected : after " + name);
        fields.push_back(path + name + "=" + scalar());
      }
    }
  }
};

std::vector<std::string> parse_pbtxt(const std::string& text) {
  Pbtxt p;
  p.text = text;
  p.message("", 0);
  return p.fields;
}

/// A Java .properties file's key=value pairs (comments and blank lines skipped).
std::map<std::string, std::string> parse_properties(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    const auto eq = line.find('=');
    REQUIRE(eq != std::string::npos);
    out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

}  // namespace

TEST_CASE("pbtxt reader refuses what is not protobuf text", "[recommend][report]") {
  CHECK(parse_pbtxt("a: 1\nb { c: \"x\" }\n") == std::vector<std::string>{"a=1", "b.c=\"x\""});
  CHECK_THROWS(parse_pbtxt("a 1"));
  CHECK_THROWS(parse_pbtxt("a: \"x"));
  CHECK_THROWS(parse_pbtxt("a [ { b: 1 }"));
}

TEST_CASE("triton output is a valid config.pbtxt block with the thread parameters", "[recommend][report]") {
  auto r = typical();  // 4 usable threads, 2 workers, OMP_NUM_THREADS=2
  const auto fields = parse_pbtxt(*render_recommendation(r, Format::kTriton));
  CHECK(fields == std::vector<std::string>{"instance_group.count=2", "instance_group.kind=KIND_CPU",
                                           "parameters.key=\"INTRA_OP_THREAD_COUNT\"",
                                           "parameters.value.string_value=\"2\"",
                                           "parameters.key=\"INTER_OP_THREAD_COUNT\"",
                                           "parameters.value.string_value=\"1\""});
}

TEST_CASE("torchserve output parses as config.properties; workers x threads fit", "[recommend][report]") {
  auto r = typical();
  r.facts.usable_threads = 16;
  r.facts.workers = 4;
  r.omp_num_threads = 4;
  r.env[0].value = r.env[1].value = "4";
  const auto text = *render_recommendation(r, Format::kTorchServe);
  const auto props = parse_properties(text);
  CHECK(props.at("default_workers_per_model") == "4");
  CHECK(props.at("number_of_netty_threads") == "4");  // 16 / 4
  CHECK(props.at("netty_client_threads") == "4");
  CHECK_FALSE(props.count("job_queue_size"));
  CHECK(props.size() == 3);
  CHECK(text.find("#   OMP_NUM_THREADS=4\n") != std::string::npos);
  CHECK(std::stoi(props.at("default_workers_per_model")) * r.omp_num_threads <= r.facts.usable_threads);
}

TEST_CASE("k8s output carries the target's limits beside the env", "[recommend][report]") {
  auto r = typical();
  CHECK(render_recommendation(r, Format::kK8s)->rfind("env:\n", 0) == 0);  // no target: env only
  r.facts.target.cpus = 0.5;
  r.facts.target.memory_bytes = int64_t{512} << 20;
  const auto k8s = *render_recommendation(r, Format::kK8s);
  CHECK(k8s.rfind("resources:\n  limits:\n    cpu: \"500m\"\n    memory: \"512Mi\"\nenv:\n", 0) == 0);
  r.facts.target.cpus = 4;
  r.facts.target.memory_bytes = 1000;
  CHECK(render_recommendation(r, Format::kK8s)->find("cpu: \"4\"\n    memory: \"1000\"") != std::string::npos);
  CHECK(recommend_to_json(r)["facts"]["target"]["cpus"] == 4.0);
}

namespace {

/// A measured recommendation: 2 workers x 1 stream, 2 threads, 2 inter-op threads.
Recommendation measured() {
  auto r = typical();
  r.mode = RecommendMode::kMeasure;
  r.facts.workers = 2;
  r.interop_threads = 2;
  SearchOutcome s;
  s.constraints.max_p99_s = 0.020;
  SearchStep start;
  start.point = {4, 1, 1, 1, Allocator::kGlibc};
  start.result.ok = true;
  start.result.throughput_per_s = 500;
  start.result.p50_s = 0.002;
  start.result.p99_s = 0.004;
  start.feasible = true;
  start.verdict = "start: the quick answer";
  SearchStep moved = start;
  moved.point = {2, 2, 1, 2, Allocator::kGlibc};
  moved.result.throughput_per_s = 800;
  moved.verdict = "moved: +60.0% throughput (noise 3.0%)";
  s.steps = {start, moved};
  s.chosen = 1;
  s.stop_reason = "converged: no neighbour does better beyond the noise";
  s.elapsed_s = 6.5;
  r.search = s;
  r.apply_command = "eval \"$(torchdiag recommend --profile '/etc/p.json' --format shell)\"";
  return r;
}

}  // namespace

TEST_CASE("a measured recommendation shows its search, shape and apply command", "[recommend][report]") {
  const auto r = measured();
  const auto text = *render_recommendation(r, Format::kText, true);
  CHECK(text.find("(measure mode: 2 configuration(s) searched for throughput in 6.5 s)") != std::string::npos);
  CHECK(text.find("run 2 worker process(es) x 1 stream(s) each; inter-op threads 2") != std::string::npos);
  CHECK(text.find("constraints: p99 <= 20.00 ms") != std::string::npos);
  CHECK(text.find("*  2. 2 thread(s) x 2 inter-op, 1 stream(s) x 2 worker(s), glibc") != std::string::npos);
  CHECK(text.find("Candidates (intra-op threads per process)") == std::string::npos);  // the path replaces it
  CHECK(text.rfind("Apply what was measured:\n  eval \"$(torchdiag recommend --profile '/etc/p.json'") !=
        std::string::npos);
  const auto j = recommend_to_json(r);
  CHECK(j["mode"] == "measure");
  CHECK(j["interop_threads"] == 2);
  CHECK(j["search"]["chosen"] == 1);
  CHECK(j["search"]["steps"][1]["verdict"] == "moved: +60.0% throughput (noise 3.0%)");
  CHECK(j["search"]["constraints"]["max_p99_s"] == 0.020);
  CHECK(j["profile"].is_null());
  CHECK(j["apply_command"] == r.apply_command);
  const auto fields = parse_pbtxt(*render_recommendation(r, Format::kTriton));
  CHECK(fields[0] == "instance_group.count=2");
  CHECK(fields.back() == "parameters.value.string_value=\"2\"");  // the measured inter-op threads
}

TEST_CASE("a profile's recommendation says how it was applied", "[recommend][report]") {
  auto r = typical();
  r.mode = RecommendMode::kProfile;
  r.profile = ProfileUse{"/etc/p.json", ProfileAction::kScaled, {"usable threads: 8 in the profile, 4 here"},
                         "threads scaled with the usable threads: 2 = max(1, floor(4 x 4 / 8))", "2026-11-30T09:12:44Z"};
  const auto text = *render_recommendation(r, Format::kText, true);
  CHECK(text.find("(profile mode: scaled from /etc/p.json, measured 2026-11-30T09:12:44Z)") != std::string::npos);
  CHECK(text.find("  differs: usable threads: 8 in the profile, 4 here\n") != std::string::npos);
  CHECK(text.find("eval \"$(torchdiag recommend --profile '/etc/p.json' --format shell)\"") != std::string::npos);
  const auto j = recommend_to_json(r);
  CHECK(j["profile"]["action"] == "scaled");
  CHECK(j["profile"]["differences"][0] == "usable threads: 8 in the profile, 4 here");
  CHECK(j["search"].is_null());
  CHECK(j["apply_command"].is_null());
}
