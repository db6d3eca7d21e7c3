// Progress on stderr: redrawn at least every 0.5 s within a configuration when stderr is
// a terminal (also with stdout piped), without escape sequences on TERM=dumb, and
// nothing at all when stderr is not a terminal. A pseudo-terminal comes from script(1).
#include <algorithm>
#include <string>

#include "cli/run_binary.h"
#include "sys/subprocess.h"

using torchdiag::test::run_torchdiag;

namespace {

/// A one-configuration bench that runs about 1.6 s in its timed window.
const std::string kBench = std::string(TORCHDIAG_BINARY) +
                           " bench --workload index_select --threads 1 --min-time 0.8 --repetitions 2 --warmup 1";

/// What a terminal shows while `command` runs under script(1), with TERM set to `term`.
std::string on_terminal(const std::string& command, const std::string& term) {
  torchdiag::SpawnOptions o;
  // script(1) wants a readable stdin; the command has no single quotes.
  o.argv = {"/bin/sh", "-c", "script -qfec '" + command + "' /dev/null < /dev/null"};
  o.env = torchdiag::current_environment();
  o.env["TERM"] = term;
  o.timeout_s = 300;
  const auto r = torchdiag::run_process(o);
  INFO(r.describe() << "\n" << r.stderr_text);
  REQUIRE(r.ok());
  return r.stdout_text;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("bench progress on a terminal: one line redrawn while a configuration runs", "[cli][progress]") {
  // stdout goes to a pipe (cat), stderr stays the terminal.
  const auto screen = on_terminal(kBench + " --format json | cat > /dev/null", "xterm");
  INFO(screen);
  CHECK(count(screen, "torchdiag bench: [1/1] index_select threads=1") >= 3);  // at least every 0.5 s
  CHECK(screen.find("\033[K") != std::string::npos);
}

TEST_CASE("bench progress on TERM=dumb: the same line without escape sequences", "[cli][progress]") {
  const auto screen = on_terminal(kBench + " > /dev/null", "dumb");
  INFO(screen);
  CHECK(count(screen, "torchdiag bench: [1/1]") >= 3);
  CHECK(screen.find('\033') == std::string::npos);
}

TEST_CASE("no progress when stderr is not a terminal", "[cli][progress]") {
  const auto r = run_torchdiag({"bench", "--workload", "index_select", "--threads", "1", "--min-time", "0.6",
                                "--repetitions", "1", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find('\r') == std::string::npos);
  CHECK(r.err.find('\033') == std::string::npos);
  CHECK(r.err.find("[1/1]") == std::string::npos);
}
