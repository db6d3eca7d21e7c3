// PerfCounters reads the counters of one kind as one event group (one read(2)), and
// opens an event alone when the kernel refuses it a place in the group.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "sys/perf_counters.h"

using namespace torchdiag;

namespace {

const std::vector<std::string> kSoftware = {"task-clock", "context-switches", "cpu-migrations", "page-faults"};

struct Call {
  uint32_t type;
  int group_fd;
  uint64_t read_format;
  long fd;
  int err;  ///< errno when fd < 0
};
std::vector<Call> g_log;  ///< every call except those refused with EACCES (see below)
bool g_refuse_members = false;       ///< EINVAL when group_fd != -1
bool g_refuse_group_format = false;  ///< EINVAL for PERF_FORMAT_GROUP (inherit before Linux 4.13)
bool g_no_pmu = false;               ///< ENOENT for hardware events, as in most VMs

void reset(bool refuse_members, bool refuse_group_format, bool no_pmu = false) {
  g_log.clear();
  g_refuse_members = refuse_members;
  g_refuse_group_format = refuse_group_format;
  g_no_pmu = no_pmu;
}

/// The real system call, logged, with the refusals above; hardware events (no PMU
/// in most VMs) are opened as cpu-clock so that they too can form a group here.
long logged_open(void* a, int pid, int cpu, int group_fd, unsigned long flags) {
  const auto* attr = static_cast<perf_event_attr*>(a);
  Call c{attr->type, group_fd, attr->read_format, -1, 0};
  if ((g_refuse_members && group_fd != -1) || (g_refuse_group_format && (attr->read_format & PERF_FORMAT_GROUP))) {
    errno = EINVAL;
  } else if (g_no_pmu && attr->type == PERF_TYPE_HARDWARE) {
    errno = ENOENT;
  } else {
    perf_event_attr copy = *attr;
    if (copy.type == PERF_TYPE_HARDWARE) {
      copy.type = PERF_TYPE_SOFTWARE;
      copy.config = PERF_COUNT_SW_CPU_CLOCK;
    }
    c.fd = ::syscall(SYS_perf_event_open, &copy, pid, cpu, group_fd, flags);
  }
  c.err = c.fd < 0 ? errno : 0;
  // Without CAP_PERFMON (perf_event_paranoid 2) the door's first, kernel-side attempt
  // is refused and retried user-space only: not a step of the grouping logic.
  if (c.err != EACCES) g_log.push_back(c);
  errno = c.err;
  return c.fd;
}

/// Sleeps (context switches), touches new memory (page faults) and computes
/// (task-clock) on a thread created after the counters were opened.
void work_on_new_thread() {
  std::thread worker([] {
    for (int i = 0; i < 200; ++i) std::this_thread::sleep_for(std::chrono::microseconds(50));
    const size_t bytes = 4u << 20;  // fresh pages: malloc may reuse a faulted-in arena
    void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory != MAP_FAILED) {
      for (size_t i = 0; i < bytes; i += 4096) static_cast<volatile char*>(memory)[i] = 1;
      ::munmap(memory, bytes);
    }
    volatile double x = 0;
    for (int i = 0; i < 2000000; ++i) x = x + i;
  });
  worker.join();
}

/// False (with a warning) in a build without libpfm4, where the stub twin opens nothing.
bool counting_in_build() {
  if (!perf_supported_in_build()) WARN("built without libpfm4: PerfCounters is the stub");
  return perf_supported_in_build();
}

double value_of(const std::vector<PerfReading>& readings, const std::string& name) {
  for (const auto& r : readings) {
    if (r.name == name) return r.value;
  }
  FAIL("no reading for " << name);
  return 0;
}

/// Opens kSoftware through logged_open and checks that every counter counts the
/// work of a new thread, like a lone task-clock counter opened beside them.
void check_software_counters_count() {
  const auto c = PerfCounters::open(kSoftware, 0, -1, logged_open);
  const auto lone = PerfCounters::open({"task-clock"}, 0, -1);
  if (!c.unavailable().empty() || !lone.unavailable().empty()) {
    WARN("software perf events are not available here");
    return;
  }
  const auto before = c.read();
  const auto lone_before = lone.read();
  REQUIRE(before.size() == kSoftware.size());
  work_on_new_thread();
  const auto after = c.read();
  const auto lone_after = lone.read();
  REQUIRE(after.size() == kSoftware.size());
  for (size_t i = 0; i < kSoftware.size(); ++i) CHECK(after[i].name == kSoftware[i]);  // order of the names
  const double task_clock_ns = value_of(after, "task-clock") - value_of(before, "task-clock");
  CHECK(task_clock_ns > 0);
  CHECK(task_clock_ns == Approx(lone_after[0].value - lone_before[0].value).epsilon(0.2));
  if (!c.user_only()) CHECK(value_of(after, "context-switches") - value_of(before, "context-switches") >= 100);
  CHECK(value_of(after, "page-faults") - value_of(before, "page-faults") > 0);  // fewer with huge pages
  for (const auto& r : after) CHECK(r.running_fraction == 1);  // software events are never multiplexed
}

}  // namespace

TEST_CASE("software counters open as one group led by the first one", "[perf][perf_group]") {
  if (!counting_in_build()) return;
  reset(false, false);
  check_software_counters_count();
  if (g_log.empty() || g_log[0].fd < 0) return;
  REQUIRE(g_log.size() == kSoftware.size());
  CHECK(g_log[0].group_fd == -1);
  CHECK((g_log[0].read_format & PERF_FORMAT_GROUP) != 0);
  CHECK((g_log[0].read_format & PERF_FORMAT_TOTAL_TIME_ENABLED) != 0);
  CHECK((g_log[0].read_format & PERF_FORMAT_TOTAL_TIME_RUNNING) != 0);
  for (size_t i = 1; i < g_log.size(); ++i) {
    CHECK(g_log[i].group_fd == g_log[0].fd);
    CHECK((g_log[i].read_format & PERF_FORMAT_GROUP) == 0);
  }
}

TEST_CASE("members the kernel refuses (EINVAL) are opened alone and still count", "[perf][perf_group]") {
  if (!counting_in_build()) return;
  reset(/*refuse_members=*/true, false);
  check_software_counters_count();
  if (g_log.empty() || g_log[0].fd < 0) return;
  // The leader, then for each other counter: the refused join and the lone open.
  REQUIRE(g_log.size() == 1 + 2 * (kSoftware.size() - 1));
  for (size_t i = 1; i < g_log.size(); i += 2) {
    CHECK(g_log[i].fd == -1);
    CHECK(g_log[i + 1].group_fd == -1);
    CHECK(g_log[i + 1].fd >= 0);
  }
}

TEST_CASE("a refused group leader (inherit with PERF_FORMAT_GROUP) means lone counters", "[perf][perf_group]") {
  if (!counting_in_build()) return;
  reset(false, /*refuse_group_format=*/true);
  check_software_counters_count();
  if (g_log.empty()) return;
  // One refused leader, then every counter alone: grouping is not tried again.
  REQUIRE(g_log.size() == 1 + kSoftware.size());
  CHECK(g_log[0].fd == -1);
  for (size_t i = 1; i < g_log.size(); ++i) {
    CHECK(g_log[i].group_fd == -1);
    CHECK((g_log[i].read_format & PERF_FORMAT_GROUP) == 0);
  }
}

TEST_CASE("software and PMU events form separate groups", "[perf][perf_group]") {
  if (!counting_in_build()) return;
  reset(false, false);
  const auto c = PerfCounters::open({"task-clock", "cycles", "context-switches", "instructions"}, 0, -1, logged_open);
  if (!c.unavailable().empty()) {
    WARN("software perf events are not available here: " << c.unavailable()[0].reason);
    return;
  }
  REQUIRE(g_log.size() == 4);
  CHECK(g_log[0].group_fd == -1);           // task-clock leads the software group
  CHECK(g_log[1].group_fd == -1);           // cycles leads the PMU group
  CHECK(g_log[2].group_fd == g_log[0].fd);  // context-switches
  CHECK(g_log[3].group_fd == g_log[1].fd);  // instructions
  const auto r = c.read();
  REQUIRE(r.size() == 4);
  CHECK(r[0].name == "task-clock");
  CHECK(r[1].name == "cycles");
  CHECK(r[1].value > 0);  // cpu-clock underneath
}

TEST_CASE("events without a PMU fail once, with the lone reason, beside a working group", "[perf][perf_group]") {
  if (!counting_in_build()) return;
  reset(false, false, /*no_pmu=*/true);
  const auto c = PerfCounters::open({"task-clock", "cycles", "context-switches", "instructions"}, 0, -1, logged_open);
  if (c.read().size() < 2) {
    WARN("software perf events are not available here");
    return;
  }
  REQUIRE(c.unavailable().size() == 2);
  CHECK(c.unavailable()[0].name == "cycles");
  CHECK(c.unavailable()[0].reason == explain_perf_errno(ENOENT, -1));
  CHECK(c.unavailable()[1].name == "instructions");
  CHECK(g_log.size() == 4);  // a failed leader is retried alone only after EINVAL
  CHECK(g_log[2].group_fd == g_log[0].fd);
}

TEST_CASE("a single event is opened alone, without PERF_FORMAT_GROUP", "[perf][perf_group]") {
  if (!counting_in_build()) return;
  reset(false, false);
  const auto c = PerfCounters::open({"task-clock", "cycles"}, 0, -1, logged_open);
  REQUIRE(g_log.size() == 2);
  for (const auto& call : g_log) CHECK((call.read_format & PERF_FORMAT_GROUP) == 0);
}

namespace {

std::vector<int> g_write_ends;

/// Each "event" is an empty non-blocking pipe; the test writes what read(2) returns.
long pipe_open(void*, int, int, int, unsigned long) {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return -1;
  g_write_ends.push_back(fds[1]);
  return fds[0];
}

void put(int fd, const std::vector<uint64_t>& words) {
  const auto bytes = static_cast<ssize_t>(words.size() * sizeof(uint64_t));
  REQUIRE(::write(fd, words.data(), static_cast<size_t>(bytes)) == bytes);
}

void close_write_ends() {
  for (int fd : g_write_ends) ::close(fd);
  g_write_ends.clear();
}

}  // namespace

TEST_CASE("one group read(2) gives every member, scaled by the group's running time", "[perf][perf_group]") {
  if (!counting_in_build()) return;
  close_write_ends();
  const auto c = PerfCounters::open({"task-clock", "context-switches", "cycles"}, 0, -1, pipe_open);
  REQUIRE(g_write_ends.size() == 3);
  put(g_write_ends[0], {2, 1000, 250, 10, 20});  // nr, enabled, running, values
  put(g_write_ends[2], {30, 1000, 500});         // cycles alone: value, enabled, running
  const auto r = c.read();  // the member's own pipe stays empty: only the leader is read
  REQUIRE(r.size() == 3);
  CHECK(r[0].name == "task-clock");
  CHECK(r[0].value == Approx(40));
  CHECK(r[0].running_fraction == Approx(0.25));
  CHECK(r[1].name == "context-switches");
  CHECK(r[1].value == Approx(80));
  CHECK(r[2].name == "cycles");
  CHECK(r[2].value == Approx(60));
  CHECK(r[2].running_fraction == Approx(0.5));
  close_write_ends();
}

TEST_CASE("a group read with the wrong member count leaves the group out", "[perf][perf_group]") {
  if (!counting_in_build()) return;
  close_write_ends();
  const auto c = PerfCounters::open({"task-clock", "context-switches"}, 0, -1, pipe_open);
  REQUIRE(g_write_ends.size() == 2);
  CHECK(c.read().empty());  // nothing to read yet
  put(g_write_ends[0], {3, 1000, 1000, 1, 2, 3});
  CHECK(c.read().empty());  // three values for two members: none is trusted
  close_write_ends();
}

TEST_CASE("a moved-from PerfCounters reads nothing", "[perf][perf_group]") {
  if (!counting_in_build()) return;
  auto a = PerfCounters::open(kSoftware, 0, -1);
  PerfCounters b = std::move(a);
  CHECK(a.read().empty());  // NOLINT(bugprone-use-after-move): the moved-from state is defined
  if (b.unavailable().empty()) CHECK(b.read().size() == kSoftware.size());
}
