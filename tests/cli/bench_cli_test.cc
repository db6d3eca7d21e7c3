// The real torchdiag + torchdiag-worker on the built-in model, model files the test
// writes, broken inputs and a deliberately crashing or hanging configuration.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "cli/run_binary.h"
#include "report/bench_json.h"

using namespace torchdiag::test;
namespace fs = std::filesystem;

TEST_CASE("bench runs the built-in model per thread count in fresh workers", "[bench][worker]") {
  if (!have_worker()) return;
  const auto r = run_torchdiag(quick({"bench", "--workload", "forward", "--threads", "1,2", "--format", "json"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = r.json();
  CHECK(j["schema"] == "torchdiag.bench/1");
  CHECK(j["context"]["torch_version"].get<std::string>().rfind("1.", 0) == 0);
  CHECK(j["context"]["cpu"]["usable_threads"].get<int>() >= 1);
  REQUIRE(j["results"].size() == 2);
  for (const auto& row : j["results"]) {
    CHECK(row["status"] == "ok");
    CHECK(row["model"] == "builtin");
    CHECK(row["iterations"].get<int>() >= 2);
    const auto& lat = row["latency_s"];
    CHECK(lat["min"].get<double>() > 0);
    CHECK(lat["min"].get<double>() <= lat["p50"].get<double>());
    CHECK(lat["p50"].get<double>() <= lat["p99"].get<double>());
    CHECK(row["throughput_per_s"].get<double>() > 0);
    // The worker really ran with the thread count the row claims.
    CHECK(row["intra_op_threads_actual"] == row["threads"]);
    CHECK(row["cpu_time_per_op_s"].get<double>() > 0);
  }
}

TEST_CASE("bench index_select includes the 'current' row and speed-ups against it", "[bench][worker]") {
  if (!have_worker()) return;
  const auto r = run_torchdiag(quick({"bench", "--workload", "index_select", "--rows", "2000", "--cols", "64",
                                      "--indices", "4000", "--threads", "1,current", "--format", "json"}),
                               {{"OMP_NUM_THREADS", ""}, {"MKL_NUM_THREADS", ""}});
  REQUIRE(r.exit_code == 0);
  const auto results = r.json()["results"];
  REQUIRE(results.size() == 2);
  CHECK(results[1]["threads_label"] == "current");
  CHECK(results[1]["threads"].is_null());
  CHECK(results[1]["speedup_vs_current"].get<double>() == Approx(1.0));
  CHECK(results[0]["speedup_vs_current"].get<double>() > 0);
  int best = 0;
  for (const auto& row : results) best += row["best"].get<bool>() ? 1 : 0;
  CHECK(best == 1);
}

TEST_CASE("bench runs TorchScript files with one, two and integer inputs", "[bench][worker]") {
  if (!have_worker()) return;
  const std::vector<std::vector<std::string>> cases = {
      {"--model", model("single.pt"), "--input", "4x16"},
      {"--model", model("two_inputs.pt"), "--input", "8x64x32:float32", "--input", "8x32x16"},
      {"--model", model("int_input.pt"), "--input", "8x16:int64"},
      {"--model", model("single.pt"), "--input", "4x16", "--freeze"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"bench", "--workload", "forward", "--threads", "1", "--format", "json"};
    args.insert(args.end(), c.begin(), c.end());
    const auto r = run_torchdiag(quick(args));
    INFO(c[1] << " " << r.err);
    REQUIRE(r.exit_code == 0);
    const auto row = r.json()["results"][0];
    CHECK(row["status"] == "ok");
    CHECK(row["model"].get<std::string>().find(".pt") != std::string::npos);
  }
}

TEST_CASE("bench --model alone times forward only; --workload adds index_select back", "[bench][worker]") {
  if (!have_worker()) return;
  const auto workloads = [](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"bench", "--threads", "1", "--format", "json", "--model", model("single.pt"),
                                     "--input", "4x16"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_torchdiag(quick(args));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::set<std::string> names;
    const auto j = r.json();  // kept: a range over a temporary's member would dangle
    for (const auto& row : j["results"]) names.insert(row["workload"].get<std::string>());
    return names;
  };
  CHECK(workloads({}) == std::set<std::string>{"forward"});
  CHECK(workloads({"--workload", "forward", "--workload", "index_select"}) ==
        std::set<std::string>{"forward", "index_select"});
}

TEST_CASE("bench rejects files that are not TorchScript archives with one line", "[bench][worker]") {
  if (!have_worker()) return;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {model("random.bin"), "zip header missing"},
      {model("pickle.pt"), "Python pickle"},
      {model("empty.pt"), "too short"},
      {models_dir() + "/missing.pt", "No such file"},
  };
  for (const auto& [path, reason] : cases) {
    const auto r = run_torchdiag(quick({"bench", "--workload", "forward", "--model", path, "--input", "4x16"}));
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("cannot load model '" + path + "'") != std::string::npos);
    CHECK(r.err.find(reason) != std::string::npos);
    CHECK(line_count(r.err) == 1);
    CHECK(r.out.empty());
  }
}

TEST_CASE("bench reports LibTorch's reason for a truncated archive and a wrong shape", "[bench][worker]") {
  if (!have_worker()) return;
  const auto t = run_torchdiag(quick({"bench", "--workload", "forward", "--threads", "1", "--model",
                                      model("truncated.pt"), "--input", "4x16", "--format", "json"}));
  CHECK(t.exit_code == 1);
  CHECK(t.json()["results"][0]["status"] == "failed");
  CHECK(t.json()["results"][0]["error"].get<std::string>().find("cannot load model") != std::string::npos);
  const auto s = run_torchdiag(quick({"bench", "--workload", "forward", "--threads", "1", "--model",
                                      model("single.pt"), "--input", "4x17", "--format", "json"}));
  CHECK(s.exit_code == 1);
  const auto error = s.json()["results"][0]["error"].get<std::string>();
  CHECK(error.find("forward failed") != std::string::npos);
  CHECK(error.find("expected forward(") != std::string::npos);
  CHECK(error.find('\n') == std::string::npos);
}

TEST_CASE("a crashing or hanging configuration fails its row and the sweep goes on", "[bench][worker]") {
  if (!have_worker()) return;
  const auto crash = run_torchdiag(quick({"bench", "--workload", "forward", "--threads", "1,2", "--format", "json"}),
                                   {{"TORCHDIAG_TEST_HOOK", "crash@2"}});
  REQUIRE(crash.exit_code == 0);
  auto rows = crash.json()["results"];
  CHECK(rows[0]["status"] == "ok");
  CHECK(rows[1]["status"] == "failed");
  CHECK(rows[1]["error"].get<std::string>().find("signal 11") != std::string::npos);
  const auto hang = run_torchdiag(quick({"bench", "--workload", "forward", "--threads", "1,2", "--timeout", "8",
                                         "--format", "json"}),
                                  {{"TORCHDIAG_TEST_HOOK", "hang@1"}});
  REQUIRE(hang.exit_code == 0);
  rows = hang.json()["results"];
  CHECK(rows[0]["status"] == "timeout");
  CHECK(rows[1]["status"] == "ok");
}

TEST_CASE("bench output formats: csv header, markdown table, svg plot", "[bench][worker]") {
  if (!have_worker()) return;
  const auto svg = (fs::temp_directory_path() / ("torchdiag-plot-" + std::to_string(::getpid()) + ".svg")).string();
  const auto csv = run_torchdiag(quick({"bench", "--workload", "index_select", "--rows", "500", "--cols", "32",
                                        "--indices", "1000", "--threads", "1,2", "--format", "csv", "--plot", svg}));
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out.substr(0, csv.out.find('\n')) == torchdiag::bench_csv_header());
  CHECK(line_count(csv.out) == 3);
  std::ifstream in(svg);
  const std::string picture((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(picture.rfind("<?xml", 0) == 0);
  CHECK(picture.find("data-series=\"streams=1 glibc\"") != std::string::npos);  // a line across threads 1 and 2
  CHECK(picture.find("index_select: p50 latency per call") != std::string::npos);
  fs::remove(svg);
  const auto md = run_torchdiag(quick({"bench", "--workload", "index_select", "--rows", "500", "--cols", "32",
                                       "--indices", "1000", "--threads", "1", "--format", "markdown"}));
  REQUIRE(md.exit_code == 0);
  CHECK(md.out.find("| threads | interop |") != std::string::npos);
}

TEST_CASE("bench rejects bad numbers, shapes and names before starting workers", "[bench]") {
  const std::vector<std::vector<std::string>> bad = {
      {"--threads", "0"},         {"--threads", "-1"},        {"--threads", "99999"},
      {"--threads", "abc"},       {"--streams", "0"},         {"--input", "1xax3"},
      {"--input", "0x3"},         {"--input", "4x4:float99"}, {"--workload", "index_selec"},
      {"--format", "xml"},        {"--repetitions", "0"},     {"--timeout", "0"},
      {"--allocator", "tcmalloc"}, {"--min-time", "-1"},
  };
  for (const auto& args : bad) {
    std::vector<std::string> full = {"bench"};
    full.insert(full.end(), args.begin(), args.end());
    const auto r = run_torchdiag(full);
    INFO(args[0] << " " << args[1] << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind("torchdiag: error: ", 0) == 0);
    CHECK(r.out.empty());
  }
  const auto typo = run_torchdiag({"bench", "--workload", "index_selec"});
  CHECK(typo.err.find("did you mean 'index_select'") != std::string::npos);
}
