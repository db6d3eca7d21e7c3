// bench --allocator and --duration on the real worker: the jemalloc row must prove
// jemalloc ran, the glibc row must not; the soak plot must be well-formed XML.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "cli/run_binary.h"

using namespace torchdiag::test;

TEST_CASE("a soak under glibc and jemalloc: proof, RSS figures, comparison, plot", "[bench][memory][worker]") {
  if (!have_worker()) return;
  const auto plain = run_torchdiag({"inspect", "--format", "json"});
  if (!plain.json()["torch"]["jemalloc_path"].is_string()) {
    WARN("libjemalloc.so.2 is not installed; skipping");
    return;
  }
  const auto svg = (std::filesystem::temp_directory_path() / ("torchdiag-soak-" + std::to_string(::getpid()) + ".svg")).string();
  const auto r = run_torchdiag({"bench", "--allocator", "glibc,jemalloc", "--duration", "1.5", "--threads", "1",
                                "--streams", "2", "--vary-batch", "--format", "json", "--plot", svg});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = r.json();
  const auto& rows = j["results"];
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["allocator"] == "glibc");
  CHECK(rows[0]["jemalloc_active"] == false);
  CHECK(rows[0]["jemalloc"].is_null());
  CHECK(rows[1]["allocator"] == "jemalloc");
  CHECK(rows[1]["jemalloc_active"] == true);
  CHECK(rows[1]["jemalloc"]["allocated_bytes"].get<double>() > 0);
  CHECK(rows[1]["jemalloc"]["resident_to_allocated"].get<double>() >= 1.0);
  for (const auto& row : rows) {
    CHECK(row["workload"] == "forward");  // a soak is about a model
    CHECK(row["peak_rss_bytes"].get<double>() >= row["mean_rss_bytes"].get<double>());
    CHECK(row["rss_timeline"].size() >= 5);  // 1.5 s at 0.1 s
  }
  REQUIRE(j["comparisons"].size() == 1);
  CHECK(j["comparisons"][0]["peak_rss_ratio"].get<double>() > 0);
  const std::string check = "python3 -c \"import sys, xml.etree.ElementTree as E; t = E.parse(sys.argv[1]); "
                            "n = [p.get('data-series') for p in t.iter('{http://www.w3.org/2000/svg}polyline') "
                            "if p.get('class') == 'rss-series']; sys.exit(0 if len(n) == 2 and 'jemalloc' in n[1] else 1)\" " +
                            svg;
  CHECK(std::system(check.c_str()) == 0);
  std::filesystem::remove(svg);
}

TEST_CASE("bench --duration needs a positive length and a forward workload", "[bench][memory]") {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"bench", "--duration", "0"}, {"bench", "--duration", "-5"},
           {"bench", "--duration", "10", "--workload", "index_select"}, {"bench", "--vary-batch"}}) {
    const auto r = run_torchdiag(args);
    INFO(args[1] << " " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--duration") != std::string::npos);
  }
}
