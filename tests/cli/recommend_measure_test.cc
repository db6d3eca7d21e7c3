// recommend --measure end to end: a real short sweep, the safe fallback when the
// measurement cannot run, and usage errors.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <map>

#include "cli/run_binary.h"

using namespace torchdiag::test;

TEST_CASE("recommend --measure falls back to the quick answer when the worker is missing", "[recommend][measure]") {
  const auto r = run_torchdiag({"recommend", "--measure", "--format", "json"},
                               {{"TORCHDIAG_WORKER", "/nonexistent/worker"}, {"OMP_NUM_THREADS", ""},
                                {"MKL_NUM_THREADS", ""}});
  REQUIRE(r.exit_code == 0);
  const auto j = r.json();
  CHECK(j["mode"] == "quick");
  CHECK(j["omp_num_threads"].get<int>() >= 1);
  CHECK(r.err.find("measurement failed") != std::string::npos);
  const auto strict = run_torchdiag({"recommend", "--measure", "--strict", "--format", "json"},
                                    {{"TORCHDIAG_WORKER", "/nonexistent/worker"}});
  CHECK(strict.exit_code == 1);
  CHECK(strict.out.empty());
  CHECK(strict.err.find("measurement failed") != std::string::npos);
}

TEST_CASE("recommend --measure usage errors exit 2 with one line", "[recommend][measure]") {
  const std::vector<std::vector<std::string>> bad = {
      {"--measure", "--budget", "0"},
      {"--measure", "--objective", "speed"},
      {"--measure", "--tolerance", "-1"},
      {"--workload", "index_selec"},
      {"--model", "/nonexistent.pt", "--input", "4x4"},
      {"--measure", "--root", "/"},
      {"--measure", "--quick"},
      {"--measure", "--allocator", "tcmalloc"},
      {"--measure", "--input", "0x4"},
      {"--measure", "--max-p99", "10"},
      {"--measure", "--max-p99", "10parsecs"},
      {"--measure", "--max-p99", "-5ms"},
      {"--measure", "--max-rss", "2XB"},
      {"--measure", "--min-throughput", "-5"},
      {"--measure", "--search", "random"},
      {"--measure", "--objective", "p95"},
      {"--save", "/tmp/profile.json"},
      {"--max-p99", "10ms"},
      {"--profile", "/tmp/profile.json", "--measure"},
      {"--measure", "--save", "/nonexistent-dir/p.json"},
  };
  for (const auto& args : bad) {
    std::vector<std::string> full = {"recommend"};
    full.insert(full.end(), args.begin(), args.end());
    const auto r = run_torchdiag(full);
    INFO(args[0] << " " << args[1] << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind("torchdiag: error: ", 0) == 0);
    CHECK(line_count(r.err) <= 2);
    CHECK(r.out.empty());
  }
}

namespace {

/// recommend --measure in a few seconds: the built-in model, short timing windows.
std::vector<std::string> measure(std::vector<std::string> more) {
  std::vector<std::string> args = {"recommend", "--measure", "--budget", "4", "--format", "json"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

const std::map<std::string, std::string> kNoThreadEnv = {{"OMP_NUM_THREADS", ""}, {"MKL_NUM_THREADS", ""},
                                                         {"TORCHDIAG_PROFILE", ""}};

}  // namespace

TEST_CASE("recommend --measure searches from the quick answer and shows its path", "[recommend][measure][worker]") {
  if (!have_worker()) return;
  const auto r = run_torchdiag(measure({}), kNoThreadEnv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = r.json();
  CHECK(j["mode"] == "measure");
  const int n = j["omp_num_threads"];
  CHECK(j["env"]["MKL_NUM_THREADS"] == std::to_string(n));
  const auto& s = j["search"];
  CHECK(s["objective"] == "throughput");
  REQUIRE(s["steps"].size() >= 1);
  CHECK(s["steps"][0]["verdict"] == "start: the quick answer");
  CHECK_FALSE(s["stop_reason"].get<std::string>().empty());
  REQUIRE(s["chosen"].is_number());
  const auto& chosen = s["steps"][s["chosen"].get<size_t>()];
  CHECK(chosen["point"]["threads"] == n);
  CHECK(chosen["feasible"] == true);
  CHECK(j["facts"]["workers"] == chosen["point"]["workers"]);
  CHECK(j["facts"]["streams"] == chosen["point"]["streams"]);
  CHECK(j["interop_threads"] == chosen["point"]["interop"]);
  int marked = 0;
  for (const auto& c : j["candidates"]) marked += c["chosen"] == true;
  CHECK(marked == 1);
  CHECK(j["candidates"].size() == s["steps"].size());
  // Without --save the exact values to apply close the output (on stderr for JSON).
  CHECK(j["apply_command"].get<std::string>().rfind("export OMP_NUM_THREADS='" + std::to_string(n) + "'", 0) == 0);
  CHECK(r.err.find("torchdiag: apply what was measured: export OMP_NUM_THREADS=") != std::string::npos);
}

TEST_CASE("recommend --measure --save writes a profile that --profile applies instantly", "[recommend][measure][profile][worker]") {
  if (!have_worker()) return;
  TempDir dir;
  const auto saved = run_torchdiag(measure({"--save", dir / "p.json"}), kNoThreadEnv);
  INFO(saved.err);
  REQUIRE(saved.exit_code == 0);
  const auto m = saved.json();
  const auto threads = std::to_string(m["omp_num_threads"].get<int>());
  CHECK(m["apply_command"] == "eval \"$(torchdiag recommend --profile '" + dir / "p.json" + "' --format shell)\"");
  const auto profile = nlohmann::json::parse(slurp(dir / "p.json"));
  CHECK(profile["schema"] == "torchdiag.profile/1");
  CHECK(profile["settings"]["OMP_NUM_THREADS"] == threads);
  CHECK(profile["facts"]["usable_threads"] == m["facts"]["usable_threads"]);
  CHECK(profile["facts"]["torch_version"].get<std::string>().size() > 0);
  CHECK(profile["search"]["steps"].size() == m["search"]["steps"].size());

  const auto applied = run_torchdiag({"recommend", "--profile", dir / "p.json", "--format", "json"}, kNoThreadEnv);
  INFO(applied.err);
  REQUIRE(applied.exit_code == 0);
  const auto a = applied.json();
  CHECK(a["mode"] == "profile");
  CHECK(a["env"]["OMP_NUM_THREADS"] == threads);
  CHECK(a["profile"]["action"] == "applied");
  CHECK(a["facts"]["workers"] == m["facts"]["workers"]);
  CHECK(applied.err.empty());

  // The entrypoint form: TORCHDIAG_PROFILE, every output form.
  auto env = kNoThreadEnv;
  env["TORCHDIAG_PROFILE"] = dir / "p.json";
  for (const char* format : {"shell", "env", "docker", "k8s", "systemd", "torchserve", "triton"}) {
    const auto f = run_torchdiag({"recommend", "--format", format}, env);
    INFO(format << ": " << f.err);
    CHECK(f.exit_code == 0);
    CHECK(f.out.find(threads) != std::string::npos);
  }
  const auto sh = run_torchdiag({"recommend", "--format", "env"}, env);
  CHECK(sh.out.find("OMP_NUM_THREADS=" + threads + "\n") != std::string::npos);
}

TEST_CASE("recommend --profile never fails a start: bad profiles answer in quick mode", "[recommend][profile]") {
  TempDir dir;
  const std::string good = slurp(std::string(TORCHDIAG_FIXTURES) + "/profiles/builtin.json");
  REQUIRE(good.find("torchdiag.profile/1") != std::string::npos);
  dir.write("truncated.json", good.substr(0, good.size() / 2));
  std::string newer = good;
  newer.replace(newer.find("torchdiag.profile/1"), 19, "torchdiag.profile/2");
  dir.write("newer.json", newer);
  dir.write("model.pt", "PK\x03\x04 not the built-in model");
  struct Case {
    std::vector<std::string> args;
    std::string warning;
  };
  const std::vector<Case> cases = {
      {{"--profile", dir / "truncated.json"}, "not valid JSON"},
      {{"--profile", dir / "newer.json"}, "written by a newer torchdiag (schema torchdiag.profile/2)"},
      {{"--profile", dir / "missing.json"}, "No such file or directory"},
      {{"--profile", dir.path.string()}, "a directory, not a file"},
      {{"--root", std::string(TORCHDIAG_FIXTURES) + "/roots/node-pool-a", "--profile",
        std::string(TORCHDIAG_FIXTURES) + "/profiles/builtin.json", "--model", dir / "model.pt"},
       "model: builtin (the built-in model) in the profile, fnv1a64:"},
      {{"--profile", std::string(TORCHDIAG_FIXTURES) + "/profiles/builtin.json"},
       "CPU model: 'Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz' in the profile"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"recommend", "--format", "json"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto r = run_torchdiag(args, kNoThreadEnv);
    INFO(c.warning << "\n" << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.json()["mode"] == "quick");
    CHECK(r.err.find(c.warning) != std::string::npos);
  }
  // --strict: a profile that cannot be read is bad input.
  const auto strict = run_torchdiag({"recommend", "--strict", "--profile", dir / "truncated.json"}, kNoThreadEnv);
  CHECK(strict.exit_code == 2);
  CHECK(strict.out.empty());
  CHECK(strict.err.find("--profile '" + dir / "truncated.json" + "': not valid JSON") != std::string::npos);
  // TORCHDIAG_PROFILE names itself in the warning.
  auto env = kNoThreadEnv;
  env["TORCHDIAG_PROFILE"] = dir / "newer.json";
  const auto from_env = run_torchdiag({"recommend", "--format", "env"}, env);
  CHECK(from_env.exit_code == 0);
  CHECK(from_env.err.find("TORCHDIAG_PROFILE '") != std::string::npos);
}

TEST_CASE("recommend --profile applies a matching profile and scales it to a target", "[recommend][profile]") {
  const std::string path = std::string(TORCHDIAG_FIXTURES) + "/profiles/builtin.json";
  const auto root = std::string(TORCHDIAG_FIXTURES) + "/roots/node-pool-a";  // 48 CPUs, 4-CPU quota
  const auto same = run_torchdiag({"recommend", "--root", root, "--profile", path, "--format", "json"}, kNoThreadEnv);
  INFO(same.err);
  REQUIRE(same.exit_code == 0);
  const auto a = same.json();
  CHECK(a["mode"] == "profile");
  CHECK(a["profile"]["action"] == "applied");
  CHECK(a["env"]["OMP_NUM_THREADS"] == "2");  // the fixture's measured 2 threads x 2 workers
  CHECK(a["facts"]["workers"] == 2);
  // A 2-CPU target: half the capacity, half the threads per worker.
  const auto half = run_torchdiag({"recommend", "--root", root, "--profile", path, "--cpus", "2", "--format", "json"},
                                  kNoThreadEnv);
  const auto h = half.json();
  CHECK(h["profile"]["action"] == "scaled");
  CHECK(h["env"]["OMP_NUM_THREADS"] == "1");
  CHECK(h["profile"]["rule"] == "threads scaled with the usable threads: 1 = max(1, floor(2 x 2 / 4))");
  CHECK(half.err.find("usable threads: 4 in the profile, 2 here") != std::string::npos);
  const auto triton = run_torchdiag({"recommend", "--root", root, "--profile", path, "--format", "triton"}, kNoThreadEnv);
  CHECK(triton.out.find("count: 2") != std::string::npos);
  CHECK(triton.out.find("key: \"INTER_OP_THREAD_COUNT\"\n  value: { string_value: \"1\" }") != std::string::npos);
}

TEST_CASE("recommend --measure: nothing keeps the constraints, the quick answer stands", "[recommend][measure][worker]") {
  if (!have_worker()) return;
  const auto r = run_torchdiag(measure({"--max-p99", "1ns"}), kNoThreadEnv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = r.json();
  CHECK(j["search"]["chosen"].is_null());
  CHECK(r.err.find("kept the constraints") != std::string::npos);
  for (const auto& step : j["search"]["steps"]) CHECK(step["feasible"] == false);
  const auto strict = run_torchdiag(measure({"--max-p99", "1ns", "--strict"}), kNoThreadEnv);
  CHECK(strict.exit_code == 1);
  CHECK(strict.out.empty());
}

TEST_CASE("recommend --measure --cpus --cpuset measures inside a cgroup with those limits", "[recommend][measure][worker]") {
  if (!have_worker()) return;
  const auto r = run_torchdiag(measure({"--cpus", "0.5", "--cpuset", "0", "--objective", "latency"}), kNoThreadEnv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = r.json();
  CHECK(j["facts"]["quota_cpus"] == 0.5);
  CHECK(j["facts"]["usable_threads"] == 1);
  if (::geteuid() == 0 && ::access("/sys/fs/cgroup/cpu", W_OK) == 0) {
    CHECK(j["search"]["stop_reason"].get<std::string>().find("measured inside cgroup") != std::string::npos);
    double throttled = 0;
    for (const auto& step : j["search"]["steps"]) throttled = std::max(throttled, step["result"]["throttled_fraction"].get<double>());
    CHECK(throttled > 0);  // half a CPU: the worker ran into the quota
  }
  // Where no cgroup can be made, it says so and measures anyway.
  auto env = kNoThreadEnv;
  env["TORCHDIAG_NO_CGROUP"] = "1";
  const auto without = run_torchdiag(measure({"--cpus", "0.5"}), env);
  CHECK(without.exit_code == 0);
  CHECK(without.err.find("measured without the target's limits") != std::string::npos);
  CHECK(without.json()["facts"]["usable_threads"] == 1);
}
