// Every plot the tool can write, rendered by rsvg-convert (librsvg, as image viewers
// and browsers would) without an error, with its texts inside the canvas.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/run_binary.h"
#include "unit/report/svg_layout.h"

using torchdiag::test::run_torchdiag;
using torchdiag::test::slurp;
using torchdiag::test::TempDir;

namespace {

void render(const TempDir& dir, const std::string& svg) {
  INFO(svg);
  REQUIRE(std::filesystem::exists(svg));
  torchdiag::testing::check_text_inside(slurp(svg));
  REQUIRE(std::system("command -v rsvg-convert >/dev/null 2>&1") == 0);  // packaging/install-deps.sh installs it
  const auto png = svg + ".png", err = dir / "rsvg.err";
  const int status = std::system(("rsvg-convert -o '" + png + "' '" + svg + "' 2>'" + err + "'").c_str());
  INFO("rsvg-convert: " << slurp(err));
  CHECK(status == 0);
  CHECK(slurp(err).empty());
  CHECK(std::filesystem::file_size(png) > 1000);
}

}  // namespace

TEST_CASE("bench, profile and soak plots render with rsvg-convert", "[cli][plot]") {
  TempDir dir;
  const std::vector<std::string> quick = {"--min-time", "0.05", "--repetitions", "1", "--warmup", "1"};
  std::vector<std::string> args = {"bench", "--threads", "1,2,current", "--allocator", "glibc,jemalloc",
                                   "--profile", dir / "prof", "--plot", dir / "bench.svg", "-o", dir / "out.txt"};
  args.insert(args.end(), quick.begin(), quick.end());
  const auto r = run_torchdiag(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  render(dir, dir / "bench.svg");
  render(dir, dir / "bench-ops.svg");
  const auto soak = run_torchdiag({"bench", "--duration", "1", "--allocator", "glibc,jemalloc", "--threads", "1",
                                   "--plot", dir / "soak.svg", "-o", dir / "soak.txt"});
  INFO(soak.err);
  REQUIRE(soak.exit_code == 0);
  render(dir, dir / "soak.svg");
  CHECK(slurp(dir / "soak.svg").find("class=\"rss-series\"") != std::string::npos);
}
