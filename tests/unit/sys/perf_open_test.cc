// The one perf_event_open door: errno -> reason, the user-space-only retry after
// EACCES, the arguments it passes on, and the perf_event_paranoid reader.
#include <catch2/catch.hpp>

#include <linux/perf_event.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "sys/fs_reader.h"
#include "sys/kernel_paths.h"
#include "sys/perf_open.h"
#include "unit/probe/temp_tree.h"

using namespace torchdiag;

namespace {

struct Call {
  int pid, cpu, group_fd;
  unsigned long flags;
  unsigned exclude_kernel;
};
std::vector<Call> g_calls;
int g_errno = 0;               ///< what every call fails with...
bool g_user_space_ok = false;  ///< ...except calls with exclude_kernel = 1 when set

long scripted_open(void* a, int pid, int cpu, int group_fd, unsigned long flags) {
  const auto* attr = static_cast<perf_event_attr*>(a);
  g_calls.push_back({pid, cpu, group_fd, flags, static_cast<unsigned>(attr->exclude_kernel)});
  if (g_user_space_ok && attr->exclude_kernel) return ::dup(1);  // a real fd to close
  errno = g_errno;
  return -1;
}

perf_event_attr task_clock() {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_TASK_CLOCK;
  return attr;
}

PerfOpenResult open_failing_with(int err, int paranoid = 2) {
  g_calls.clear();
  g_errno = err;
  g_user_space_ok = false;
  PerfOpener opener(paranoid, scripted_open);
  auto attr = task_clock();
  const auto r = opener.open(attr);
  CHECK_FALSE(opener.user_only());
  return r;
}

}  // namespace

TEST_CASE("the perf door turns each errno into the reason with the fix", "[perf][perf_open]") {
  struct Row {
    int err;
    const char* needle;
  };
  for (const auto& row : {Row{EACCES, "perf_event_paranoid is 2"}, Row{EPERM, "--cap-add PERFMON"},
                          Row{ENOENT, "no PMU"}, Row{EOPNOTSUPP, "EOPNOTSUPP"}, Row{ENOSYS, "ENOSYS"},
                          Row{EMFILE, "EMFILE"}, Row{EINVAL, "EINVAL"}, Row{ENODEV, std::strerror(ENODEV)}}) {
    INFO("errno " << row.err);
    const auto r = open_failing_with(row.err);
    CHECK_FALSE(r.ok());
    CHECK(r.fd == -1);
    CHECK(r.error == row.err);
    CHECK(r.reason == explain_perf_errno(row.err, 2));
    CHECK(r.reason.find(row.needle) != std::string::npos);
    CHECK(g_calls.size() == (row.err == EACCES ? 2u : 1u));  // only EACCES is retried
  }
  CHECK(open_failing_with(EACCES, -1).reason.find("perf_event_paranoid is unknown") != std::string::npos);
}

TEST_CASE("the perf door retries EACCES user-space only, once", "[perf][perf_open]") {
  const auto r = open_failing_with(EACCES);
  REQUIRE(g_calls.size() == 2);
  CHECK(g_calls[0].exclude_kernel == 0);
  CHECK(g_calls[1].exclude_kernel == 1);
  CHECK(r.user_only);  // the last attempt was user-space only, and failed too
}

TEST_CASE("after one user-space-only success the door asks for user space at once", "[perf][perf_open]") {
  g_calls.clear();
  g_errno = EACCES;
  g_user_space_ok = true;
  PerfOpener opener(2, scripted_open);
  auto first = task_clock();
  const auto a = opener.open(first);
  REQUIRE(a.ok());
  CHECK(a.user_only);
  CHECK(first.exclude_kernel == 1);
  CHECK(opener.user_only());
  CHECK(g_calls.size() == 2);
  auto second = task_clock();
  const auto b = opener.open(second);
  REQUIRE(b.ok());
  CHECK(b.user_only);
  CHECK(g_calls.size() == 3);  // no kernel-side attempt any more
  CHECK(g_calls[2].exclude_kernel == 1);
  ::close(a.fd);
  ::close(b.fd);
}

TEST_CASE("the perf door passes pid, cpu and group_fd on, always close-on-exec", "[perf][perf_open]") {
  g_calls.clear();
  g_errno = ENOENT;
  g_user_space_ok = false;
  PerfOpener opener(-1, scripted_open);
  auto attr = task_clock();
  (void)opener.open(attr, {1234, 1, 7});
  (void)opener.open(attr);
  REQUIRE(g_calls.size() == 2);
  CHECK(g_calls[0].pid == 1234);
  CHECK(g_calls[0].cpu == 1);
  CHECK(g_calls[0].group_fd == 7);
  CHECK(g_calls[0].flags == PERF_FLAG_FD_CLOEXEC);
  CHECK(g_calls[1].pid == 0);  // defaults: this thread, any CPU, a group of its own
  CHECK(g_calls[1].cpu == -1);
  CHECK(g_calls[1].group_fd == -1);
}

TEST_CASE("the perf door opens a real software event with the system call", "[perf][perf_open]") {
  PerfOpener opener(read_perf_paranoid(FsReader()).value_or(-1));
  auto attr = task_clock();
  const auto r = opener.open(attr);
  if (!r.ok()) {
    WARN("software perf events are not available here: " << r.reason);
    return;
  }
  CHECK(r.reason.empty());
  CHECK(r.error == 0);
  CHECK(r.user_only == opener.user_only());
  uint64_t value = 0;
  CHECK(::read(r.fd, &value, sizeof value) == static_cast<ssize_t>(sizeof value));
  ::close(r.fd);
}

TEST_CASE("perf_event_paranoid parses one integer and nothing else", "[perf][perf_open]") {
  CHECK(parse_perf_paranoid("2\n") == 2);
  CHECK(parse_perf_paranoid("-1") == -1);
  CHECK(parse_perf_paranoid("  4 \n") == 4);
  CHECK(parse_perf_paranoid("") == std::nullopt);
  CHECK(parse_perf_paranoid("\n") == std::nullopt);
  CHECK(parse_perf_paranoid("two") == std::nullopt);
  CHECK(parse_perf_paranoid("2 3") == std::nullopt);
  CHECK(parse_perf_paranoid("99999999999") == std::nullopt);  // not an int
}

TEST_CASE("perf_event_paranoid is read through the rooted reader", "[perf][perf_open]") {
  testing::TempTree tree;
  REQUIRE(tree.ok());
  CHECK(read_perf_paranoid(FsReader(tree.root())) == std::nullopt);  // missing
  tree.write("proc/sys/kernel/perf_event_paranoid", "3\n");
  CHECK(read_perf_paranoid(FsReader(tree.root())) == 3);
  tree.write("proc/sys/kernel/perf_event_paranoid", "garbage\n");
  CHECK(read_perf_paranoid(FsReader(tree.root())) == std::nullopt);

  std::ifstream live(paths::kPerfParanoid);
  int expected = 0;
  if (live >> expected) CHECK(read_perf_paranoid(FsReader()) == expected);
}
