// The diff's text, Markdown and JSON forms.
#include "report/diff_render.h"

#include <catch2/catch.hpp>

using namespace torchdiag;

namespace {

DiffReport sample() {
  DiffReport d;
  d.kind = ReportKind::kBench;
  d.a_source = "a.json";
  d.b_source = "b.json";
  d.differences = {{DiffCategory::kCapacity, "cpu.usable_threads", "4", "16", "the threads that can run at once"},
                   {DiffCategory::kOther, "host", "node-a|x", "node-b\x1b[31m", ""}};
  ConfigComparison c;
  c.key = "forward builtin threads=2 interop=default streams=1 glibc";
  c.a_p50_s = 0.001;
  c.b_p50_s = 0.0015;
  c.ratio = 1.5;
  c.p_value = 1e-9;
  c.significant = c.matters = true;
  c.a_samples = c.b_samples = 400;
  c.noise = {"A: spread too wide"};
  d.configs = {c};
  d.only_in_b = {"index_select threads=4 interop=default streams=1 glibc"};
  d.method = "two-sided Mann-Whitney U test";
  return d;
}

}  // namespace

TEST_CASE("diff_to_text: ranked sections, the rest behind -v, configurations side by side", "[diff]") {
  const auto d = sample();
  const auto text = diff_to_text(d, false);
  CHECK(text.find("3 difference(s) that matter, 1 other(s) (-v lists them); 1 configuration(s) in both.") != std::string::npos);
  CHECK(text.find("Capacity\n  cpu.usable_threads: A 4 | B 16\n    the threads that can run at once") != std::string::npos);
  CHECK(text.find("host") == std::string::npos);
  CHECK(text.find("1.500 ms") != std::string::npos);
  CHECK(text.find("<0.001  B slower") != std::string::npos);
  CHECK(text.find("only in B: index_select threads=4") != std::string::npos);
  CHECK(text.find("noise: forward builtin threads=2 interop=default streams=1 glibc: A: spread too wide") !=
        std::string::npos);
  const auto verbose = diff_to_text(d, true);
  CHECK(verbose.find("Other\n  host: A node-a|x | B node-b?[31m") != std::string::npos);  // no escape reaches a terminal
}

TEST_CASE("diff_to_markdown: tables with cells escaped", "[diff]") {
  const auto md = diff_to_markdown(sample(), true);
  CHECK(md.find("| rank | category | fact | A | B | why it matters |") != std::string::npos);
  CHECK(md.find("| 1 | Capacity | `cpu.usable_threads` | 4 | 16 |") != std::string::npos);
  CHECK(md.find("node-a\\|x") != std::string::npos);
  CHECK(md.find("| index_select threads=4 interop=default streams=1 glibc | absent | ran |") != std::string::npos);
}

TEST_CASE("diff_to_json: the torchdiag.diff/1 contract", "[diff]") {
  const auto j = diff_to_json(sample());
  CHECK(j["schema"] == "torchdiag.diff/1");
  CHECK(j["kind"] == "bench");
  CHECK(j["differences_that_matter"] == 3);
  CHECK(j["other_differences"] == 1);
  CHECK(j["differences"][0]["category"] == "capacity");
  CHECK(j["differences"][0]["matters"] == true);
  CHECK(j["differences"][1]["why"].is_null());
  CHECK(j["configs"][0]["p50_ratio"] == 1.5);
  CHECK(j["configs"][0]["significant"] == true);
  CHECK(j["only_in_b"].size() == 1);
  CHECK(j["significance"]["alpha"] == 0.01);
  DiffReport inspect;
  CHECK_FALSE(diff_to_json(inspect).contains("configs"));
}
