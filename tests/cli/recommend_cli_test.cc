// `torchdiag recommend` through the real binary: formats, fixture roots, --exec, safety.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/run_binary.h"
#include "sys/environment.h"
#include "sys/fs_reader.h"
#include "util/strings.h"

using torchdiag::test::line_count;
using torchdiag::test::Run;

namespace {

const std::string kRoots = TORCHDIAG_FIXTURES "/roots";

/// The environment without the thread variables the tests control.
const std::map<std::string, std::string> kClean = {{"OMP_NUM_THREADS", ""},
                                                   {"MKL_NUM_THREADS", ""}};

Run recommend(std::vector<std::string> args, std::map<std::string, std::string> env = kClean) {
  args.insert(args.begin(), "recommend");
  for (const auto& [k, v] : kClean) env.emplace(k, v);
  return torchdiag::test::run_torchdiag(args, env, 30);
}

Run run_sh(const std::string& script, std::map<std::string, std::string> env = kClean) {
  torchdiag::SpawnOptions o;
  o.argv = {"/bin/sh", "-c", script};
  o.env = torchdiag::current_environment();
  for (const auto& [k, v] : env) {
    if (v.empty())
      o.env.erase(k);
    else
      o.env[k] = v;
  }
  o.env["TORCHDIAG"] = TORCHDIAG_BINARY;
  o.timeout_s = 30;
  const auto r = torchdiag::run_process(o);
  return Run{r.exit_code, r.signal, r.stdout_text, r.stderr_text};
}

std::string root(const std::string& name) {
  const auto path = kRoots + "/" + name;
  INFO("fixture root " << path);
  REQUIRE(torchdiag::FsReader(path).is_dir("/"));
  return path;
}

/// The live machine's answer, for comparing the other forms with.
int live_threads() {
  const auto r = recommend({"--format", "json"});
  REQUIRE(r.exit_code == 0);
  return r.json()["omp_num_threads"].get<int>();
}

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> fixture_roots() {
  std::vector<std::string> names;
  for (const auto& name : torchdiag::FsReader(kRoots).list_dir("/")) {
    if (torchdiag::FsReader(kRoots + "/" + name).is_dir("/proc")) names.push_back(name);
  }
  return names;
}

}  // namespace

TEST_CASE("recommend gives a quick answer on every fixture root", "[recommend][cli]") {
  const auto names = fixture_roots();
  REQUIRE_FALSE(names.empty());
  for (const auto& name : names) {
    INFO("root " << name);
    const auto r = recommend({"--root", kRoots + "/" + name, "--format", "json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto doc = r.json();
    CHECK(doc["schema"] == "torchdiag.recommend/1");
    CHECK(doc["mode"] == "quick");
    const int usable = doc["facts"]["usable_threads"];
    CHECK(usable >= 1);
    // The snapshot's own OMP_NUM_THREADS is kept when valid; otherwise the quick answer.
    const auto environ_file = torchdiag::FsReader(kRoots + "/" + name).read("/proc/self/environ");
    const auto vars = torchdiag::parse_environ(environ_file.text);
    const auto it = vars.find("OMP_NUM_THREADS");
    const auto kept = it == vars.end() ? std::nullopt : torchdiag::parse_int(it->second);
    const bool valid = kept && *kept > 0;
    CHECK(doc["omp_num_threads"] == (valid ? static_cast<int>(*kept) : usable));
    CHECK(doc["env"]["MKL_NUM_THREADS"] == doc["env"]["OMP_NUM_THREADS"]);

    const auto overridden =
        recommend({"--root", kRoots + "/" + name, "--format", "json", "--override"});
    REQUIRE(overridden.exit_code == 0);
    CHECK(overridden.json()["omp_num_threads"] == usable);
    // Where an inspect expectation exists, recommend agrees with it.
    const auto expected_text = read_text(kRoots + "/" + name + ".expected.json");
    if (!expected_text.empty()) {
      const auto expected = nlohmann::json::parse(expected_text);
      if (expected.contains("usable_threads")) CHECK(usable == expected["usable_threads"]);
    }
  }
}

TEST_CASE("recommend under a 1.5-CPU v2 quota reports its facts", "[recommend][cli]") {
  const auto r = recommend({"--root", root("k8s-v2-cgroupns"), "--format", "json"});
  REQUIRE(r.exit_code == 0);
  const auto doc = r.json();
  CHECK(doc["omp_num_threads"] == 1);
  const auto& facts = doc["facts"];
  CHECK(facts["quota_cpus"] == 1.5);
  CHECK(facts["allowed_cpus"] == 2);
  CHECK(facts["usable_threads"] == 1);
  CHECK(facts["limited_by"] == "quota");
  CHECK(facts["affinity"].is_string());
  CHECK(facts["workers"] == 1);
  CHECK(facts["streams"] == 1);
  CHECK_THAT(doc["reasons"][0]["reason"].get<std::string>(), Catch::Contains("quota 1.50 CPUs"));
}

TEST_CASE("recommend --workers and --streams divide the usable threads", "[recommend][cli]") {
  const auto host = root("large-host");  // 8 usable threads
  auto threads = [&](const std::string& w, const std::string& s) {
    const auto r = recommend({"--root", host, "--format", "json", "--workers", w, "--streams", s});
    REQUIRE(r.exit_code == 0);
    return r.json()["omp_num_threads"].get<int>();
  };
  CHECK(threads("1", "1") == 8);
  CHECK(threads("2", "2") == 2);
  CHECK(threads("3", "1") == 2);
  const auto over = recommend({"--root", host, "--format", "env", "--workers", "16"});
  CHECK(over.exit_code == 0);
  CHECK(over.out == "OMP_NUM_THREADS=1\nMKL_NUM_THREADS=1\n");
  CHECK_THAT(over.err, Catch::Contains("torchdiag: warning:") && Catch::Contains("oversubscribed"));
  CHECK(recommend({"--workers", "0"}).exit_code == 2);
}

TEST_CASE("recommend --exec sets the variables and runs the command with its argv", "[recommend][cli]") {
  const int expected = live_threads();
  const auto r = recommend({"--exec", "--", "sh", "-c",
                            "echo $OMP_NUM_THREADS $MKL_NUM_THREADS; printf '[%s]\\n' \"$@\"", "sh",
                            "a", "b c", "--format"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out ==
        std::to_string(expected) + " " + std::to_string(expected) + "\n[a]\n[b c]\n[--format]\n");
  SECTION("the exit status is the command's") {
    CHECK(recommend({"--exec", "--", "sh", "-c", "exit 7"}).exit_code == 7);
  }
}

TEST_CASE("recommend --exec failures follow shell conventions", "[recommend][cli]") {
  const auto missing = recommend({"--exec", "--", "torchdiag-no-such-command"});
  CHECK(missing.exit_code == 127);
  CHECK(missing.out.empty());
  CHECK(missing.err == "torchdiag: error: torchdiag-no-such-command: command not found\n");

  char name[] = "/tmp/torchdiag-noexec-XXXXXX";
  const int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  ::close(fd);
  ::chmod(name, 0644);
  const auto denied = recommend({"--exec", "--", name});
  std::remove(name);
  CHECK(denied.exit_code == 126);
  CHECK_THAT(denied.err, Catch::Contains("Permission denied"));

  for (const auto& args :
       {std::vector<std::string>{"--exec"}, std::vector<std::string>{"--exec", "--"}}) {
    const auto none = recommend(args);
    CHECK(none.exit_code == 2);
    CHECK(line_count(none.err) == 1);
    CHECK_THAT(none.err, Catch::Contains("--exec needs a command"));
  }
  CHECK(recommend({"--exec", "--format", "json", "--", "true"}).exit_code == 2);
  CHECK(recommend({"stray"}).exit_code == 2);
}

TEST_CASE("a missing --root still gives a safe answer unless --strict", "[recommend][cli]") {
  const auto safe = recommend({"--root", "/nonexistent-torchdiag-root", "--format", "shell"});
  CHECK(safe.exit_code == 0);
  CHECK(safe.out == "export OMP_NUM_THREADS='1'\nexport MKL_NUM_THREADS='1'\n");
  CHECK_THAT(safe.err,
             Catch::StartsWith("torchdiag: warning: --root '/nonexistent-torchdiag-root'"));

  const auto strict = recommend({"--root", "/nonexistent-torchdiag-root", "--strict"});
  CHECK(strict.exit_code == 2);
  CHECK(strict.out.empty());
  CHECK(strict.err ==
        "torchdiag: error: --root '/nonexistent-torchdiag-root': no such directory\n");
}

TEST_CASE("a root without any CPU facts gives 1 thread unless --strict", "[recommend][cli]") {
  char name[] = "/tmp/torchdiag-empty-root-XXXXXX";
  REQUIRE(::mkdtemp(name));
  const auto safe = recommend({"--root", name, "--format", "json"});
  const auto strict = recommend({"--root", name, "--strict"});
  ::rmdir(name);
  CHECK(safe.exit_code == 0);
  CHECK(safe.json()["omp_num_threads"] == 1);
  CHECK(safe.json()["facts"]["capacity_known"] == false);
  CHECK_THAT(safe.err, Catch::Contains("CPU count unknown"));
  CHECK(strict.exit_code == 1);
  CHECK(strict.out.empty());
  CHECK(line_count(strict.err) == 1);
}

TEST_CASE("recommend --exec under --root keeps what the command inherits, not the snapshot's",
          "[recommend][cli]") {
  // The snapshot says OMP_NUM_THREADS=8 under a 2-CPU quota; the command inherits none.
  const auto r = recommend(
      {"--root", root("env-oversubscribed"), "--exec", "--", "sh", "-c", "echo $OMP_NUM_THREADS"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "2\n");
}

TEST_CASE("malformed cgroup files: a warning, or an error with --strict", "[recommend][cli]") {
  const auto bad = root("malformed-cpu-max");
  const auto lenient = recommend({"--root", bad, "--format", "json"});
  CHECK(lenient.exit_code == 0);
  CHECK(lenient.json()["omp_num_threads"].get<int>() >= 1);
  CHECK_THAT(lenient.err, Catch::Contains("torchdiag: warning:") && Catch::Contains("cpu.max"));
  const auto strict = recommend({"--root", bad, "--strict"});
  CHECK(strict.exit_code == 1);
  CHECK(strict.out.empty());
  CHECK(line_count(strict.err) == 1);
  CHECK_THAT(strict.err, Catch::StartsWith("torchdiag: error:"));
}

TEST_CASE("variables already set are kept unless --override", "[recommend][cli]") {
  const int computed = live_threads();
  const auto kept = recommend({"--format", "json"}, {{"OMP_NUM_THREADS", "3"}});
  REQUIRE(kept.exit_code == 0);
  CHECK(kept.json()["env"]["OMP_NUM_THREADS"] == "3");
  CHECK(kept.json()["env"]["MKL_NUM_THREADS"] == "3");
  CHECK(kept.json()["reasons"][0]["source"] == "environment");
  CHECK_THAT(kept.json()["reasons"][0]["reason"].get<std::string>(),
             Catch::Contains("kept from the environment"));
  if (computed < 3)
    CHECK_THAT(kept.err, Catch::Contains("OMP_NUM_THREADS=3 kept from the environment"));

  const auto replaced = recommend({"--format", "json", "--override"}, {{"OMP_NUM_THREADS", "3"}});
  CHECK(replaced.json()["omp_num_threads"] == computed);

  const auto exec =
      recommend({"--exec", "--", "sh", "-c", "echo $OMP_NUM_THREADS"}, {{"OMP_NUM_THREADS", "3"}});
  CHECK(exec.out == "3\n");
}

TEST_CASE("a non-numeric OMP_NUM_THREADS is replaced with a warning", "[recommend][cli]") {
  const int computed = live_threads();
  const auto r = recommend({"--format", "env"}, {{"OMP_NUM_THREADS", "four"}});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "OMP_NUM_THREADS=" + std::to_string(computed) +
                     "\nMKL_NUM_THREADS=" + std::to_string(computed) + "\n");
  CHECK_THAT(r.err, Catch::Contains("OMP_NUM_THREADS='four'"));
  CHECK(recommend({"--strict"}, {{"OMP_NUM_THREADS", "four"}}).exit_code == 2);
}

TEST_CASE("eval of the shell form in sh sets the variables", "[recommend][cli]") {
  const int computed = live_threads();
  const auto r = run_sh(
      "eval \"$(\"$TORCHDIAG\" recommend --format shell)\" && "
      "echo \"$OMP_NUM_THREADS $MKL_NUM_THREADS\"");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == std::to_string(computed) + " " + std::to_string(computed) + "\n");
  SECTION("the default form off a terminal is shell") {
    CHECK(recommend({}).out == recommend({"--format", "shell"}).out);
  }
}

TEST_CASE("usage errors: unknown or unsupported formats exit 2 with one line", "[recommend][cli]") {
  for (const auto& format : {"jsn", "csv", "yaml"}) {
    INFO(format);
    const auto r = recommend({"--format", format});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(line_count(r.err) == 1);
    CHECK_THAT(r.err, Catch::StartsWith("torchdiag: error: --format"));
  }
  CHECK_THAT(recommend({"--format", "jsn"}).err, Catch::Contains("did you mean 'json'?"));
}

TEST_CASE("recommend --explain goes to stderr for machine forms, stdout for text", "[recommend][cli]") {
  const auto json = recommend({"--format", "json", "--explain", "--quick"});
  CHECK(json.exit_code == 0);
  CHECK_NOTHROW(json.json());
  CHECK_THAT(json.err, Catch::Contains("Candidates") && Catch::Contains("Facts used"));
  const auto text = recommend({"--format", "text", "--explain"});
  CHECK_THAT(text.out, Catch::Contains("Candidates") && Catch::Contains("Why this value"));
  CHECK_THAT(text.err, !Catch::Contains("Candidates"));
}

TEST_CASE("recommend -o writes the answer to a file and nothing to stdout", "[recommend][cli]") {
  char name[] = "/tmp/torchdiag-recommend-out-XXXXXX";
  const int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  ::close(fd);
  const auto r = recommend({"--format", "systemd", "-o", name});
  const auto written = read_text(name);
  std::remove(name);
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK_THAT(written, Catch::StartsWith("Environment=\"OMP_NUM_THREADS="));
  CHECK(recommend({"--format", "env", "-o", "/nonexistent-dir/x"}).exit_code == 2);  // checked before any work
}

TEST_CASE("recommend --cpus/--cpuset/--memory compute for a target container on this node", "[recommend][cli]") {
  const auto root = kRoots + "/node-pool-a";  // 48 CPUs, its own pod limited to 4
  const auto env = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"--root", root, "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = recommend(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return r.json();
  };
  auto j = env({"--cpus", "8"});
  CHECK(j["env"]["OMP_NUM_THREADS"] == "8");  // the target's limit, not this pod's 4
  CHECK(j["facts"]["target"]["cpus"] == 8.0);
  CHECK(j["facts"]["quota_source"] == "--cpus");
  j = env({"--cpus", "2.5"});
  CHECK(j["env"]["OMP_NUM_THREADS"] == "2");
  j = env({"--cpuset", "0-5"});  // pinned, no CPU limit of its own
  CHECK(j["env"]["OMP_NUM_THREADS"] == "6");
  CHECK(j["facts"]["quota_cpus"].is_null());
  j = env({"--cpuset", "0-5", "--cpus", "3"});
  CHECK(j["env"]["OMP_NUM_THREADS"] == "3");
  const auto k8s = recommend({"--root", root, "--format", "k8s", "--cpus", "4", "--memory", "8Gi"});
  REQUIRE(k8s.exit_code == 0);
  CHECK(k8s.out.rfind("resources:\n  limits:\n    cpu: \"4\"\n    memory: \"8Gi\"\nenv:\n", 0) == 0);
  CHECK(k8s.out.find("value: \"4\"") != std::string::npos);
  const auto serve = recommend({"--root", root, "--format", "torchserve", "--cpus", "8", "--workers", "2"});
  REQUIRE(serve.exit_code == 0);
  CHECK(serve.out.find("default_workers_per_model=2\n") != std::string::npos);
  CHECK(serve.out.find("#   OMP_NUM_THREADS=4\n") != std::string::npos);
}

TEST_CASE("recommend: bad target limits are one-line usage errors", "[recommend][cli]") {
  const auto root = kRoots + "/node-pool-a";
  const struct {
    std::vector<std::string> args;
    std::string error;
  } cases[] = {
      {{"--cpus", "0"}, "--cpus '0': not a number of CPUs above 0"},
      {{"--cpus", "-1"}, "--cpus '-1'"},
      {{"--cpus", "nan"}, "--cpus 'nan'"},
      {{"--cpuset", "99-98"}, "--cpuset '99-98'"},
      {{"--cpuset", "60-61"}, "CPU 60 is not online on this node (0-47)"},
      {{"--memory", "4XB"}, "--memory '4XB': not a size"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"--root", root, "--format", "env"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto r = recommend(args);
    INFO(c.error << "\n" << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find(c.error) != std::string::npos);
  }
}
