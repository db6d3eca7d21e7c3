#include <catch2/catch.hpp>

#include <fcntl.h>

#include <cerrno>
#include <thread>
#include <unistd.h>

#include "bench/window_counters.h"
#include "sys/perf_counters.h"
#include "wire/codecs.h"

using namespace torchdiag;

namespace {

int g_errno_to_inject = 0;
int g_calls = 0;
bool g_succeed_on_retry = false;

long fail_open(void*, int, int, int, unsigned long) {
  ++g_calls;
  if (g_succeed_on_retry && g_calls % 2 == 0) return ::dup(1);  // a real fd to close later
  errno = g_errno_to_inject;
  return -1;
}

std::string reason_for(int err) {
  g_errno_to_inject = err;
  g_calls = 0;
  g_succeed_on_retry = false;
  const auto c = PerfCounters::open({"context-switches"}, 0, 2, fail_open);
  REQUIRE(c.unavailable().size() == 1);
  CHECK(c.read().empty());
  return c.unavailable()[0].reason;
}

}  // namespace

TEST_CASE("libpfm4 encodes software and hardware event names", "[perf]") {
  for (const char* name : {"task-clock", "context-switches", "cpu-migrations", "page-faults", "cpu-clock",
                           "cycles", "instructions", "cache-misses", "perf::CONTEXT-SWITCHES"}) {
    INFO(name);
    CHECK(check_perf_event_name(name).empty());
  }
  CHECK(check_perf_event_name("no-such-event") == "event not found");
}

TEST_CASE("each perf_event_open errno becomes a reason with the fix", "[perf]") {
  const auto eacces = reason_for(EACCES);
  CHECK(eacces.find("EACCES") != std::string::npos);
  CHECK(eacces.find("perf_event_paranoid is 2") != std::string::npos);
  CHECK(g_calls == 2);  // retried user-space only before giving up
  CHECK(reason_for(EPERM).find("--cap-add PERFMON") != std::string::npos);
  CHECK(reason_for(ENOENT).find("no PMU") != std::string::npos);
  CHECK(reason_for(EOPNOTSUPP).find("EOPNOTSUPP") != std::string::npos);
  CHECK(reason_for(ENOSYS).find("ENOSYS") != std::string::npos);
  CHECK(explain_perf_errno(EACCES, -1).find("unknown") != std::string::npos);
}

TEST_CASE("EACCES for kernel counting falls back to user-space only", "[perf]") {
  g_errno_to_inject = EACCES;
  g_calls = 0;
  g_succeed_on_retry = true;
  const auto c = PerfCounters::open({"task-clock"}, 0, 2, fail_open);
  CHECK(c.unavailable().empty());
  CHECK(c.user_only());
}

TEST_CASE("unknown names are unavailable with libpfm4's message, others still open", "[perf]") {
  const auto c = PerfCounters::open({"no-such-event", "task-clock"}, 0, -1);
  REQUIRE_FALSE(c.unavailable().empty());
  CHECK(c.unavailable()[0].name == "no-such-event");
  CHECK(c.unavailable()[0].reason == "libpfm4: event not found");
}

TEST_CASE("software counters count threads created after opening (inherit)", "[perf]") {
  const auto c = PerfCounters::open({"context-switches", "task-clock"}, 0, -1);
  if (c.read().size() < 2) {
    WARN("software perf events are not available here: " << c.unavailable()[0].reason);
    return;
  }
  const auto before = c.read();
  std::thread worker([] {
    for (int i = 0; i < 200; ++i) std::this_thread::sleep_for(std::chrono::microseconds(50));
    volatile double x = 0;
    for (int i = 0; i < 2000000; ++i) x = x + i;
  });
  worker.join();
  const auto after = c.read();
  CHECK(after[0].value - before[0].value >= 100);  // every sleep switches out
  CHECK(after[1].value - before[1].value > 0);     // task-clock ns of the new thread
}

TEST_CASE("the window probe reports deltas and reasons as JSON and back", "[perf]") {
  g_errno_to_inject = ENOENT;
  g_calls = 0;
  g_succeed_on_retry = false;
  WindowCounterProbe probe({"cycles"}, fail_open);
  probe.start();
  const auto c = probe.stop();
  REQUIRE(c.perf_unavailable.size() == 1);
  const auto back = wire::counters_from_json(wire::counters_to_json(c));
  CHECK(back.perf_unavailable[0].first == "cycles");
  CHECK(back.perf_unavailable[0].second.find("ENOENT") != std::string::npos);
  CHECK(back.cpu_time_s >= 0);
}

TEST_CASE("the built-in generic names encode as libpfm4 encodes them", "[perf]") {
  // check_perf_event_name goes through the same encoder; perf::-qualified names always
  // go through libpfm4, so both paths must agree on what they accept.
  for (const char* name : {"perf::TASK-CLOCK", "perf::CPU-MIGRATIONS", "perf::PAGE-FAULTS", "perf::CYCLES",
                           "perf::INSTRUCTIONS", "perf::CACHE-MISSES", "perf::CPU-CLOCK"}) {
    INFO(name);
    CHECK(check_perf_event_name(name).empty());
  }
  const auto direct = PerfCounters::open({"task-clock"}, 0, -1);
  const auto via_pfm = PerfCounters::open({"perf::TASK-CLOCK"}, 0, -1);
  REQUIRE(direct.unavailable().empty());
  REQUIRE(via_pfm.unavailable().empty());
  volatile double x = 0;
  for (int i = 0; i < 3000000; ++i) x = x + i;
  const double a = direct.read()[0].value, b = via_pfm.read()[0].value;
  CHECK(a > 0);
  CHECK(b > 0);
  CHECK(a == Approx(b).epsilon(0.5));  // both count this thread's CPU time
}

namespace {

int g_pipe_write_end = -1;

/// A "counter" whose first read fails (an empty non-blocking pipe) and whose later
/// reads succeed once the test has written a value into it.
long pipe_open(void*, int, int, int, unsigned long) {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return -1;
  g_pipe_write_end = fds[1];
  return fds[0];
}

}  // namespace

TEST_CASE("a counter unreadable at the start of the window has an unknown delta, not its total", "[perf]") {
  WindowCounterProbe probe({"context-switches"}, pipe_open, /*sample_spin=*/false);
  REQUIRE(g_pipe_write_end >= 0);
  probe.start();  // the read fails: nothing in the pipe yet
  const uint64_t reading[3] = {1000000, 1, 1};  // value, time enabled, time running
  REQUIRE(::write(g_pipe_write_end, reading, sizeof reading) == static_cast<ssize_t>(sizeof reading));
  const auto c = probe.stop();
  ::close(g_pipe_write_end);
  CHECK(c.perf.empty());
  REQUIRE(c.perf_unavailable.size() == 1);
  CHECK(c.perf_unavailable[0].first == "context-switches");
  CHECK(c.perf_unavailable[0].second.find("start of the timed window") != std::string::npos);
}
