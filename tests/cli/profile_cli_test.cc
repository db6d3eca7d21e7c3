// bench --profile and `torchdiag profile` with the real worker: operator names,
// shares, framework overhead ordered as the models are built, Chrome traces that pass
// a schema check, thread scaling per operator, a failed row failing alone.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "cli/run_binary.h"

using nlohmann::json;
using torchdiag::test::model;
using torchdiag::test::run_torchdiag;
using torchdiag::test::slurp;
using torchdiag::test::TempDir;

namespace {

/// Quick configurations: one short repetition each.
const std::vector<std::string> kQuick = {"--min-time", "0.05", "--repetitions", "1", "--warmup", "1"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::set<std::string> op_names(const json& row) {
  std::set<std::string> names;
  for (const auto& op : row["profile"]["ops"]) names.insert(op["name"].get<std::string>());
  return names;
}

/// What chrome://tracing and Perfetto need of a trace file: a traceEvents array of
/// complete ("X") events with a name, non-negative ts and dur, and pid/tid numbers, and
/// metadata ("M") events with args.name.
void check_chrome_trace(const std::string& path) {
  INFO(path);
  const auto j = json::parse(slurp(path));
  REQUIRE(j.contains("traceEvents"));
  REQUIRE(j["traceEvents"].is_array());
  size_t complete = 0, calls = 0;
  for (const auto& e : j["traceEvents"]) {
    REQUIRE(e.is_object());
    REQUIRE(e["name"].is_string());
    REQUIRE(e["pid"].is_number_integer());
    REQUIRE(e["tid"].is_number_integer());
    const auto ph = e["ph"].get<std::string>();
    REQUIRE((ph == "X" || ph == "M"));
    if (ph == "M") {
      CHECK(e["args"]["name"].is_string());
      continue;
    }
    ++complete;
    calls += e["name"] == "torchdiag::call" ? 1 : 0;
    CHECK(e["ts"].get<double>() >= 0);
    CHECK(e["dur"].get<double>() >= 0);
  }
  CHECK(complete > calls);
  CHECK(calls >= 1);
}

}  // namespace

TEST_CASE("bench --profile: operator tables, traces and scaling for both workloads", "[cli][profile]") {
  TempDir dir;
  const auto r = run_torchdiag(with({"bench", "--threads", "1,2", "--profile", dir / "prof", "--profile-calls", "5",
                                     "--format", "json", "--plot", dir / "bench.svg"},
                                    kQuick));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = r.json();
  for (const auto& row : j["results"]) {
    INFO(row["workload"] << " threads=" << row["threads_label"]);
    REQUIRE(row["status"] == "ok");
    const auto& p = row["profile"];
    REQUIRE(p["error"].is_null());
    const auto names = op_names(row);
    if (row["workload"] == "index_select") {
      CHECK(names.count("aten::index_select") == 1);
    } else {
      CHECK(names.count("aten::conv2d") + names.count("aten::_convolution") + names.count("aten::mkldnn_convolution") >= 1);
      CHECK(names.count("aten::linear") + names.count("aten::addmm") >= 1);
    }
    double shares = 0;
    for (const auto& op : p["ops"]) shares += op["share"].get<double>();
    CHECK(shares <= 1.0 + 1e-6);
    CHECK(shares > 0);
    CHECK(p["framework_overhead_fraction"].get<double>() >= 0);
    CHECK(p["framework_overhead_fraction"].get<double>() <= 1);
    CHECK(p["calls_profiled"].get<int>() >= 1);
    CHECK(p["calls_profiled"].get<int>() <= 5);
    check_chrome_trace(p["trace_file"].get<std::string>());
  }
  // Scaling across 1 and 2 threads, for each workload, with a reading per operator.
  std::set<std::string> scaled;
  for (const auto& s : j["op_scaling"]) {
    scaled.insert(s["workload"].get<std::string>());
    CHECK(s["speedup"]["1"] == 1.0);
    CHECK(s["speedup"].contains("2"));
    CHECK(s["reading"].get<std::string>().rfind(s["name"].get<std::string>() + ": ", 0) == 0);
  }
  CHECK(scaled == std::set<std::string>{"index_select", "forward"});
  const auto csv = slurp(dir / "prof/ops.csv");
  CHECK(csv.rfind("config,name,shapes,calls_per_forward,self_s_per_call,share,thread\n", 0) == 0);
  CHECK(csv.find("index_select-t1-idefault-s1-glibc,aten::index_select,") != std::string::npos);
  CHECK(std::filesystem::exists(dir / "bench-ops.svg"));
}

TEST_CASE("profile: one big matmul has less framework overhead than 200 tiny ops", "[cli][profile]") {
  TempDir dir;
  const auto overhead = [&](const char* file, const char* input) {
    const auto r = run_torchdiag(with({"profile", "--model", model(file), "--input", input, "--threads", "1", "--profile",
                                       dir / file, "--format", "json"},
                                      kQuick));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto j = r.json();
    REQUIRE(j["results"].size() == 1);  // profile runs forward only
    CHECK(j["results"][0]["workload"] == "forward");
    return j["results"][0]["profile"]["framework_overhead_fraction"].get<double>();
  };
  const double matmul = overhead("one_matmul.pt", "256x512");
  const double tiny = overhead("tiny_ops.pt", "1");
  INFO("one matmul " << matmul << ", 200 tiny ops " << tiny);
  CHECK(matmul < tiny);
}

TEST_CASE("bench --profile: a configuration that fails fails its row only", "[cli][profile]") {
  TempDir dir;
  const auto r = run_torchdiag(with({"bench", "--workload", "forward", "--threads", "1,2", "--profile", dir / "prof",
                                     "--format", "json"},
                                    kQuick),
                               {{"TORCHDIAG_TEST_HOOK", "crash@2"}});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = r.json();
  REQUIRE(j["results"].size() == 2);
  CHECK(j["results"][0]["status"] == "ok");
  CHECK(j["results"][0]["profile"]["error"].is_null());
  check_chrome_trace(j["results"][0]["profile"]["trace_file"].get<std::string>());
  CHECK(j["results"][1]["status"] == "failed");
  CHECK_FALSE(j["results"][1].contains("profile"));
  CHECK_FALSE(std::filesystem::exists(dir / "prof/forward-t2-idefault-s1-glibc.trace.json"));
  CHECK(j["op_scaling"].empty());  // one thread count left: nothing to scale
}

TEST_CASE("bench --profile: text and Markdown show the tables; bad directories are usage errors", "[cli][profile]") {
  TempDir dir;
  const auto text = run_torchdiag(with({"bench", "--workload", "index_select", "--threads", "1", "--profile", dir / "p"}, kQuick));
  INFO(text.err);
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("Operators (self time per call") != std::string::npos);
  CHECK(text.out.find("aten::index_select") != std::string::npos);
  CHECK(text.out.find("framework overhead") != std::string::npos);
  const auto md = run_torchdiag(
      with({"bench", "--workload", "index_select", "--threads", "1", "--profile", dir / "p", "--format", "markdown"}, kQuick));
  CHECK(md.out.find("| operator | self per call | share | calls per forward | thread |") != std::string::npos);
  dir.write("file", "x");
  const auto not_dir = run_torchdiag({"bench", "--profile", dir / "file"});
  CHECK(not_dir.exit_code == 2);
  CHECK(not_dir.err.find("--profile '" + dir / "file" + "'") != std::string::npos);
  const auto no_parent = run_torchdiag({"bench", "--profile", dir / "missing/deeper"});
  CHECK(no_parent.exit_code == 2);
  CHECK(no_parent.err.find("cannot create it") != std::string::npos);
  CHECK(run_torchdiag({"bench", "--profile", dir / "p", "--profile-calls", "0"}).exit_code == 2);
}
