// recommend --measure end to end: a real short sweep, the safe fallback when the
// measurement cannot run, and usage errors.
#include <catch2/catch.hpp>

#include "cli/run_binary.h"

using namespace torchdiag::test;

TEST_CASE("recommend --measure answers from a real sweep with the evidence", "[recommend][measure][worker]") {
  if (!have_worker()) return;
  const auto r = run_torchdiag({"recommend", "--measure", "--budget", "5", "--workload", "index_select", "--format",
                                "json"},
                               {{"OMP_NUM_THREADS", ""}, {"MKL_NUM_THREADS", ""}});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = r.json();
  CHECK(j["mode"] == "measure");
  const int n = j["omp_num_threads"];
  CHECK(n >= 1);
  CHECK(j["env"]["MKL_NUM_THREADS"] == std::to_string(n));
  int chosen = 0;
  for (const auto& c : j["candidates"]) {
    CHECK(c["label"].get<std::string>().rfind("measured: p50", 0) == 0);
    if (c["chosen"] == true) {
      ++chosen;
      CHECK(c["threads"] == n);
    }
  }
  CHECK(chosen == 1);
  CHECK(j["reasons"][0]["reason"].get<std::string>().find("fewest intra-op threads") != std::string::npos);
}

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
