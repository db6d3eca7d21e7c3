// `torchdiag completion`: the bash script, sourced in a real bash, completes
// subcommands, options and --format values as the binary defines them.
#include <string>
#include <vector>

#include "cli/run_binary.h"
#include "sys/subprocess.h"

using torchdiag::test::run_torchdiag;
using torchdiag::test::TempDir;

namespace {

/// COMPREPLY after completing `line` (the last word is the one being completed).
std::string complete(const std::string& script, const std::vector<std::string>& words) {
  std::string array;
  for (const auto& w : words) array += " '" + w + "'";
  torchdiag::SpawnOptions o;
  o.argv = {"/bin/bash", "--norc", "-c",
            "source '" + script + "' && COMP_WORDS=(" + array + ") && COMP_CWORD=" +
                std::to_string(words.size() - 1) + " && _torchdiag && echo \"${COMPREPLY[*]}\""};
  o.env = torchdiag::current_environment();
  o.timeout_s = 30;
  const auto r = torchdiag::run_process(o);
  INFO(r.stderr_text);
  REQUIRE(r.ok());
  return r.stdout_text;
}

}  // namespace

TEST_CASE("completion bash completes subcommands, options and --format values", "[cli][completion]") {
  TempDir dir;
  const auto r = run_torchdiag({"completion", "bash"});
  REQUIRE(r.exit_code == 0);
  dir.write("torchdiag.bash", r.out);
  const auto script = dir / "torchdiag.bash";
  const auto subs = complete(script, {"torchdiag", ""});
  for (const char* sub : {"inspect", "snapshot", "bench", "profile", "recommend", "watch", "diff", "completion"}) {
    INFO(sub);
    CHECK(subs.find(sub) != std::string::npos);
  }
  CHECK(complete(script, {"torchdiag", "ins"}) == "inspect\n");
  CHECK(complete(script, {"torchdiag", "bench", "--form"}) == "--format\n");
  CHECK(complete(script, {"torchdiag", "bench", "--format", ""}) == "text json csv markdown\n");
  CHECK(complete(script, {"torchdiag", "inspect", "--format", "o"}) == "openmetrics\n");
  CHECK(complete(script, {"torchdiag", "diff", "--format", "m"}) == "markdown\n");
  const auto recommend = complete(script, {"torchdiag", "recommend", "--"});
  CHECK(recommend.find("--exec") != std::string::npos);
  CHECK(recommend.find("--measure") != std::string::npos);
}

TEST_CASE("completion zsh and fish, and an unknown shell", "[cli][completion]") {
  const auto zsh = run_torchdiag({"completion", "zsh"});
  REQUIRE(zsh.exit_code == 0);
  CHECK(zsh.out.rfind("#compdef torchdiag\n", 0) == 0);
  CHECK(zsh.out.find("bashcompinit") != std::string::npos);
  const auto fish = run_torchdiag({"completion", "fish"});
  REQUIRE(fish.exit_code == 0);
  CHECK(fish.out.find("complete -c torchdiag -n __fish_use_subcommand -a watch") != std::string::npos);
  CHECK(fish.out.find("-l format -x -a 'text json csv markdown'") != std::string::npos);
  const auto bad = run_torchdiag({"completion", "bsh"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("did you mean 'bash'?") != std::string::npos);
}
