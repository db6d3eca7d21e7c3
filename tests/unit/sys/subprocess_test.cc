#include <catch2/catch.hpp>

#include "sys/fs_reader.h"
#include "sys/rss_sampler.h"
#include "sys/subprocess.h"

using namespace torchdiag;

namespace {
SpawnOptions sh(const std::string& script) {
  SpawnOptions o;
  o.argv = {"/bin/sh", "-c", script};
  o.env = {{"PATH", "/usr/bin:/bin"}};
  return o;
}
}  // namespace

TEST_CASE("run_process captures output lines, stderr and the exit status", "[sys]") {
  auto o = sh("read line; echo \"got $line\"; echo second; echo oops >&2; exit 3");
  o.stdin_text = "hello\n";
  std::vector<std::string> lines;
  o.on_stdout_line = [&](const std::string& l) { lines.push_back(l); };
  const auto r = run_process(o);
  CHECK(r.started);
  CHECK(r.exit_code == 3);
  CHECK_FALSE(r.ok());
  CHECK(lines == std::vector<std::string>{"got hello", "second"});
  CHECK(r.stderr_text == "oops\n");
  CHECK(r.describe() == "exit status 3");
}

TEST_CASE("run_process reports signals, timeouts and exec failures", "[sys]") {
  const auto killed = run_process(sh("kill -SEGV $$"));
  CHECK(killed.signal == 11);
  CHECK(killed.describe().find("signal 11") != std::string::npos);
  auto slow = sh("sleep 30");
  slow.timeout_s = 0.3;
  const auto hung = run_process(slow);
  CHECK(hung.timed_out);
  CHECK(hung.wall_s < 10);
  SpawnOptions missing;
  missing.argv = {"/nonexistent/program"};
  const auto r = run_process(missing);
  CHECK_FALSE(r.started);
  CHECK(r.error == "/nonexistent/program: No such file or directory");
}

TEST_CASE("VmRSS parses to bytes; anything else is no figure", "[sys]") {
  CHECK(parse_vm_rss_bytes("Name:\tx\nVmRSS:\t  2048 kB\nThreads: 1\n") == 2048 * 1024);
  CHECK_FALSE(parse_vm_rss_bytes("Name:\tkthreadd\n"));
  CHECK_FALSE(parse_vm_rss_bytes("VmRSS:\tabc kB\n"));
  CHECK_FALSE(parse_vm_rss_bytes("VmRSS:\t9223372036854775807 kB\n"));  // would overflow in bytes
  CHECK_FALSE(parse_vm_rss_bytes("VmRSS:\t12 MB\n"));
}

TEST_CASE("RSS sampling follows a child that allocates a known amount", "[sys]") {
  // The child touches 64 MiB, then 192 MiB, holding each for a while.
  auto o = sh("exec python3 -c \"import time\na = bytearray(64 << 20); time.sleep(0.6)\nb = bytearray(128 << 20); "
              "time.sleep(0.6)\"");
  o.env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  const FsReader fs;
  RssSampler rss(fs);
  double t = 0;
  o.tick_s = 0.05;
  o.on_tick = [&](int pid) { rss.sample(pid, t += 0.05); };
  const auto r = run_process(o);
  REQUIRE(r.exit_code == 0);
  REQUIRE(rss.timeline().size() >= 10);
  CHECK(*rss.peak() >= (192 << 20));
  CHECK(*rss.peak() < (400 << 20));
  CHECK(rss.timeline().front().second < (100 << 20));  // before the second allocation
  CHECK(*rss.mean() < *rss.peak());
}

TEST_CASE("run_process with fixed_layout turns address-space randomisation off in the child only", "[sys]") {
  // The shell's own mappings: the same start address every run only without ASLR.
  const auto heap_of = [](bool fixed) {
    auto o = sh("cat /proc/self/personality; grep -m1 '\\[heap\\]' /proc/self/maps | cut -d- -f1");
    o.fixed_layout = fixed;
    return run_process(o).stdout_text;
  };
  const auto fixed = heap_of(true);
  CHECK(fixed.rfind("00040000\n", 0) == 0);  // ADDR_NO_RANDOMIZE
  CHECK(heap_of(true) == fixed);              // the same layout again
  const auto random = heap_of(false);
  CHECK(random.rfind("00000000\n", 0) == 0);
  CHECK(heap_of(false) != random);  // randomised: another heap address (1 in 2^13 or less to collide)
}
