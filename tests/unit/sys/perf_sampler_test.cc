#include <catch2/catch.hpp>

#include <dlfcn.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sys/perf_sampler.h"

using namespace torchdiag;

namespace {

int g_errno_to_inject = 0;
int g_calls = 0;
unsigned long long g_first_exclude_kernel = 2;

long fail_open(void* attr, int, int, int, unsigned long) {
  if (++g_calls == 1) g_first_exclude_kernel = static_cast<perf_event_attr*>(attr)->exclude_kernel;
  errno = g_errno_to_inject;
  return -1;
}

/// Refuses kernel samples like perf_event_paranoid 2, then opens for real.
long deny_kernel_open(void* attr, int pid, int cpu, int group_fd, unsigned long flags) {
  ++g_calls;
  if (!static_cast<perf_event_attr*>(attr)->exclude_kernel) {
    errno = EACCES;
    return -1;
  }
  return ::syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
}

/// A descriptor that is not a perf event: mmap on it fails.
long pipe_open(void*, int, int, int, unsigned long) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  ::close(fds[1]);
  return fds[0];
}

std::string reason_for(int err) {
  g_errno_to_inject = err;
  g_calls = 0;
  PerfSamplerOptions o;
  o.paranoid = 2;
  o.open_fn = fail_open;
  o.cpus = {0};
  PerfSampler s(o);
  CHECK_FALSE(s.available());
  s.enable();  // harmless when unavailable
  s.disable();
  CHECK(s.counts().total == 0);
  return s.unavailable_reason();
}

/// Spins in user space on a new thread for `seconds`.
void spin_on_thread(double seconds) {
  std::thread t([seconds] {
    const auto start = std::chrono::steady_clock::now();
    volatile double x = 0;
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds) {
      for (int i = 0; i < 1000; ++i) x = x + i;
    }
  });
  t.join();
}

}  // namespace

TEST_CASE("each sampling errno leaves the sampler unavailable with the reason", "[perf][sampler]") {
  const auto eacces = reason_for(EACCES);
  CHECK(eacces.find("EACCES") != std::string::npos);
  CHECK(eacces.find("perf_event_paranoid is 2") != std::string::npos);
  CHECK(g_calls == 2);  // retried user-space only before giving up
  CHECK(g_first_exclude_kernel == 0);
  CHECK(reason_for(EPERM).find("--cap-add PERFMON") != std::string::npos);
  CHECK(reason_for(ENOENT).find("ENOENT") != std::string::npos);
  CHECK(reason_for(ENOSYS).find("ENOSYS") != std::string::npos);
  CHECK(g_calls == 1);  // only EACCES is retried
}

TEST_CASE("a buffer that cannot be mapped makes sampling unavailable", "[perf][sampler]") {
  PerfSamplerOptions o;
  o.open_fn = pipe_open;
  o.cpus = {0};
  PerfSampler s(o);
  CHECK_FALSE(s.available());
  CHECK(s.unavailable_reason().find("cannot map the sample buffer") != std::string::npos);
}

TEST_CASE("samples are attributed by mode and address range", "[perf][sampler]") {
  const std::vector<CodeRange> omp = {{0x7000, 0x8000}};
  CHECK(classify_sample(0x7000, PERF_RECORD_MISC_USER, omp) == SampleSite::kOpenmp);
  CHECK(classify_sample(0x7fff, PERF_RECORD_MISC_USER, omp) == SampleSite::kOpenmp);
  CHECK(classify_sample(0x8000, PERF_RECORD_MISC_USER, omp) == SampleSite::kOther);
  CHECK(classify_sample(0x7100, PERF_RECORD_MISC_KERNEL, omp) == SampleSite::kKernel);  // misc wins
  CHECK(classify_sample(0xffffffff81000000ULL, PERF_RECORD_MISC_CPUMODE_UNKNOWN, omp) == SampleSite::kKernel);
  CHECK(classify_sample(0x401000, PERF_RECORD_MISC_CPUMODE_UNKNOWN, {}) == SampleSite::kOther);
}

TEST_CASE("the OpenMP runtime's code ranges come from its loaded segments", "[perf][sampler]") {
  void* gomp = ::dlopen("libgomp.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!gomp) {
    WARN("libgomp.so.1 cannot be loaded here: " << ::dlerror());
    return;
  }
  const auto ranges = openmp_code_ranges();
  REQUIRE_FALSE(ranges.empty());
  const auto fn = reinterpret_cast<uint64_t>(::dlsym(gomp, "omp_get_num_threads"));
  REQUIRE(fn != 0);
  CHECK(classify_sample(fn, PERF_RECORD_MISC_USER, ranges) == SampleSite::kOpenmp);
  const auto ours = reinterpret_cast<uint64_t>(&openmp_code_ranges);
  CHECK(classify_sample(ours, PERF_RECORD_MISC_USER, ranges) == SampleSite::kOther);
  // libgomp stays loaded: unloading it would orphan what its constructor allocated.
}

TEST_CASE("a real sampler sees a thread created after it spinning in user space", "[perf][sampler]") {
  PerfSamplerOptions o;
  o.frequency_hz = 997;
  PerfSampler s(o);
  if (!s.available()) {
    WARN("cpu-clock sampling is not available here: " << s.unavailable_reason());
    return;
  }
  spin_on_thread(0.05);  // disabled: not sampled
  CHECK(s.counts().total == 0);
  s.enable();
  spin_on_thread(0.3);  // ~300 samples at 997 Hz, across more than one drain period
  s.disable();
  const auto c = s.counts();
  CHECK(c.total > 100);
  CHECK(c.total < 1000);
  CHECK(c.in_kernel < c.total / 2);
  CHECK(c.lost == 0);
  s.disable();  // idempotent
  CHECK(s.counts().total == c.total);
}

TEST_CASE("user-space-only sampling after EACCES still samples", "[perf][sampler]") {
  g_calls = 0;
  PerfSamplerOptions o;
  o.open_fn = deny_kernel_open;
  PerfSampler s(o);
  if (!s.available()) {
    WARN("cpu-clock sampling is not available here: " << s.unavailable_reason());
    return;
  }
  CHECK(s.user_only());
  s.enable();
  spin_on_thread(0.1);
  s.disable();
  CHECK(s.counts().total > 0);
  CHECK(s.counts().in_kernel == 0);
}

TEST_CASE("after EACCES on the first CPU the sampler asks the next ones for user space at once",
          "[perf][sampler]") {
  g_calls = 0;
  PerfSamplerOptions o;
  o.open_fn = deny_kernel_open;
  o.cpus = {0, 0};  // two rings on one CPU: the test does not depend on the CPU count
  PerfSampler s(o);
  if (!s.available()) {
    WARN("cpu-clock sampling is not available here: " << s.unavailable_reason());
    return;
  }
  CHECK(s.user_only());
  CHECK(g_calls == 3);  // refused, user-space only, then user-space only at once
}

// ---- Another process: one event per thread ------------------------------------------

namespace {

struct TargetCall {
  int pid;
  int cpu;
  unsigned inherit;
  unsigned exclude_kernel;
};
std::vector<TargetCall> g_target_calls;
std::map<int, int> g_target_errno;     ///< tid -> errno every attempt for it fails with
std::map<int, long> g_target_redirect;  ///< tid -> the real thread its event watches (default: the caller)

/// Stands in for perf_event_open on other threads: records the call, fails where
/// scripted, else opens a real event on the calling thread (or the redirected one),
/// so the ring buffer can be mapped.
long target_open(void* a, int pid, int cpu, int group_fd, unsigned long flags) {
  const auto* attr = static_cast<perf_event_attr*>(a);
  g_target_calls.push_back({pid, cpu, static_cast<unsigned>(attr->inherit), static_cast<unsigned>(attr->exclude_kernel)});
  const auto fail = g_target_errno.find(pid);
  if (fail != g_target_errno.end()) {
    errno = fail->second;
    return -1;
  }
  const auto to = g_target_redirect.find(pid);
  const long real = to == g_target_redirect.end() ? 0 : to->second;
  return ::syscall(SYS_perf_event_open, a, real, cpu, group_fd, flags);
}

void reset_target_script(std::map<int, int> errnos = {}) {
  g_target_calls.clear();
  g_target_errno = std::move(errnos);
  g_target_redirect.clear();
}

std::vector<int> called_pids() {
  std::vector<int> out;
  for (const auto& c : g_target_calls) out.push_back(c.pid);
  return out;
}

PerfSamplerOptions target_options(std::vector<int> tids) {
  PerfSamplerOptions o;
  o.paranoid = 2;
  o.open_fn = target_open;
  o.pid = 4242;
  o.tids = std::move(tids);
  return o;
}

/// A software sampling event on this thread can be opened and mapped here.
bool real_sampling_works() {
  PerfSamplerOptions o;
  o.cpus = {0};
  PerfSampler probe(o);
  if (!probe.available()) WARN("cpu-clock sampling is not available here: " << probe.unavailable_reason());
  return probe.available();
}

size_t open_fds() {
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)entry;
    ++n;
  }
  return n;
}

/// Spins on the calling thread for `seconds`.
void spin_here(double seconds) {
  const auto start = std::chrono::steady_clock::now();
  volatile double x = 0;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds) {
    for (int i = 0; i < 1000; ++i) x = x + i;
  }
}

[[noreturn]] __attribute__((noinline)) void spin_forever() {
  volatile unsigned long x = 0;
  for (;;) x = x + 1;
}

}  // namespace

TEST_CASE("a target sampler opens one event per thread, no inherit, any CPU", "[perf][sampler][target]") {
  if (!real_sampling_works()) return;
  reset_target_script();
  PerfSampler s(target_options({101, 102, 103}));
  REQUIRE(s.available());
  CHECK(s.unsampled_threads() == 0);
  REQUIRE(called_pids() == std::vector<int>{101, 102, 103});
  for (const auto& c : g_target_calls) {
    CHECK(c.cpu == -1);
    CHECK(c.inherit == 0u);
  }
}

TEST_CASE("a target thread that has exited (ESRCH) is skipped, the others open", "[perf][sampler][target]") {
  if (!real_sampling_works()) return;
  SECTION("in the middle") {
    reset_target_script({{102, ESRCH}});
    PerfSampler s(target_options({101, 102, 103}));
    CHECK(s.available());
    CHECK(s.unavailable_reason().empty());
    CHECK(s.unsampled_threads() == 0);                         // gone, not left out
    CHECK(called_pids() == std::vector<int>{101, 102, 103});  // ESRCH is not retried
  }
  SECTION("the first one") {
    reset_target_script({{201, ESRCH}});
    PerfSampler s(target_options({201, 202}));
    CHECK(s.available());
    CHECK(s.unsampled_threads() == 0);
  }
  SECTION("all of them: nothing to sample") {
    reset_target_script({{301, ESRCH}, {302, ESRCH}});
    PerfSampler s(target_options({301, 302}));
    CHECK_FALSE(s.available());
    CHECK(s.unavailable_reason() == "the process has no thread left to sample");
  }
  SECTION("no thread at all") {
    reset_target_script();
    PerfSampler s(target_options({}));
    CHECK_FALSE(s.available());
    CHECK(s.unavailable_reason() == "the process has no thread left to sample");
    CHECK(g_target_calls.empty());
  }
}

TEST_CASE("a refused first thread makes the target sampler unavailable", "[perf][sampler][target]") {
  if (!real_sampling_works()) return;
  SECTION("EACCES: explained with the owner and the capabilities, after the user-space retry") {
    const size_t fds_before = open_fds();
    reset_target_script({{301, EACCES}});
    PerfSampler s(target_options({301, 302, 303}));
    CHECK_FALSE(s.available());
    CHECK(s.unavailable_reason().find("cpu-clock sampling of thread 301: ") == 0);
    CHECK(s.unavailable_reason().find("permission denied (EACCES)") != std::string::npos);
    CHECK(s.unavailable_reason().find("its owner's user id") != std::string::npos);
    CHECK(s.unavailable_reason().find("perf_event_paranoid at most 2, here 2") != std::string::npos);
    REQUIRE(g_target_calls.size() >= 2);
    CHECK(g_target_calls[0].pid == 301);
    CHECK(g_target_calls[0].exclude_kernel == 0u);
    CHECK(g_target_calls[1].pid == 301);
    CHECK(g_target_calls[1].exclude_kernel == 1u);
    CHECK(g_target_calls.size() == 2);  // the other threads are not tried once sampling is refused
    CHECK(open_fds() == fds_before);
    s.enable();                        // harmless when unavailable
    s.disable();
    CHECK(s.counts().total == 0);
  }
  SECTION("EPERM") {
    reset_target_script({{301, EPERM}});
    PerfSampler s(target_options({301, 302}));
    CHECK_FALSE(s.available());
    CHECK(s.unavailable_reason().find("EPERM") != std::string::npos);
  }
  SECTION("EACCES after an exited first thread still decides") {
    reset_target_script({{301, ESRCH}, {302, EACCES}});
    PerfSampler s(target_options({301, 302, 303}));
    CHECK_FALSE(s.available());
    CHECK(s.unavailable_reason().find("EACCES") != std::string::npos);
  }
}

TEST_CASE("a refused later thread is counted as unsampled", "[perf][sampler][target]") {
  if (!real_sampling_works()) return;
  reset_target_script({{402, EACCES}, {404, EMFILE}});
  PerfSampler s(target_options({401, 402, 403, 404}));
  CHECK(s.available());
  CHECK(s.unsampled_threads() == 2);
  s.add_thread(405);
  CHECK(s.unsampled_threads() == 2);
  g_target_errno[406] = ESRCH;
  s.add_thread(406);  // exited: not sampled, not counted
  CHECK(s.unsampled_threads() == 2);
  g_target_errno[407] = EACCES;
  s.add_thread(407);
  CHECK(s.unsampled_threads() == 3);
}

TEST_CASE("max_threads limits the events of a target sampler", "[perf][sampler][target]") {
  if (!real_sampling_works()) return;
  reset_target_script();
  auto o = target_options({501, 502, 503, 504, 505});
  o.max_threads = 2;
  PerfSampler s(o);
  CHECK(s.available());
  CHECK(called_pids() == std::vector<int>{501, 502});
  CHECK(s.unsampled_threads() == 3);
  s.add_thread(506);  // past the limit
  CHECK(s.unsampled_threads() == 4);
  s.add_thread(501);  // already sampled
  s.add_thread(503);  // already left out: counted once
  s.add_thread(0);
  s.add_thread(-7);
  CHECK(s.unsampled_threads() == 4);
  CHECK(g_target_calls.size() == 2);
}

TEST_CASE("add_thread is a no-op for a sampler of this process", "[perf][sampler][target]") {
  if (!real_sampling_works()) return;
  reset_target_script();
  PerfSamplerOptions o;
  o.open_fn = target_open;
  o.cpus = {0};
  PerfSampler s(o);
  REQUIRE(s.available());
  const auto calls = g_target_calls.size();
  s.add_thread(12345);
  CHECK(g_target_calls.size() == calls);
  CHECK(s.unsampled_threads() == 0);
}

TEST_CASE("a thread added while sampling is enabled is sampled at once", "[perf][sampler][target]") {
  if (!real_sampling_works()) return;
  // Thread 601's event watches a thread that only sleeps; 602's watches this thread,
  // which spins after add_thread: samples appear only if 602's event was enabled.
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::atomic<long> sleeper_tid{0};
  std::thread sleeper([&] {
    sleeper_tid = static_cast<long>(::syscall(SYS_gettid));
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
  });
  while (sleeper_tid == 0) std::this_thread::yield();
  reset_target_script();
  g_target_redirect[601] = sleeper_tid;
  auto o = target_options({601});
  o.frequency_hz = 997;
  {
    PerfSampler s(o);
    CHECK(s.available());
    s.enable();
    spin_here(0.05);  // not watched yet
    s.add_thread(602);
    spin_here(0.3);
    s.disable();
    CHECK(s.counts().total > 50);
    CHECK(called_pids() == std::vector<int>{601, 602});
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  sleeper.join();
}

TEST_CASE("a real target sampler counts a busy child process", "[perf][sampler][target]") {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) spin_forever();
  PerfSamplerOptions o;
  o.frequency_hz = 997;
  o.pid = child;
  o.tids = {child};
  const auto spin_at = reinterpret_cast<uint64_t>(&spin_forever);
  o.openmp_ranges = {{spin_at, spin_at + 256}};  // the child's loop stands in for a runtime
  SampleCounts c;
  bool available = false;
  std::string reason;
  {
    PerfSampler s(o);
    available = s.available();
    reason = s.unavailable_reason();
    if (available) {
      s.enable();
      CHECK(s.openmp_runtime_found());
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      s.disable();
      c = s.counts();
    }
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!available) {
    WARN("cpu-clock sampling of another process is not available here: " << reason);
    return;
  }
  CHECK(c.total > 0);
  CHECK(c.in_openmp > c.total / 2);
  CHECK(c.lost == 0);
}

TEST_CASE("openmp_code_ranges_in_maps keeps executable mappings of OpenMP runtimes", "[perf][sampler]") {
  const char* maps =
      "55d0c4a00000-55d0c4a02000 r-xp 00000000 08:01 1835021                    /usr/bin/python3.11\n"
      "7f2a24a00000-7f2a24a2c000 r--p 00000000 08:01 1840231                    "
      "/usr/lib/x86_64-linux-gnu/libgomp.so.1.0.0\n"
      "7f2a24a2c000-7f2a24a5e000 r-xp 0002c000 08:01 1840231                    "
      "/usr/lib/x86_64-linux-gnu/libgomp.so.1.0.0\n"
      "7f2a24a5e000-7f2a24a6e000 rw-p 0005e000 08:01 1840231                    "
      "/usr/lib/x86_64-linux-gnu/libgomp.so.1.0.0\n"
      "7f3000010000-7f3000050000 r-xp 00010000 08:01 99 /venv/torch/lib/libgomp-a34b3233.so.1\n"
      "7F4000010000-7F4000020000 r-xp 00000000 08:01 98 /opt/intel/lib/libiomp5.so\n"
      "7f5000010000-7f5000020000 r-xp 00000000 08:01 97 /opt/my env/lib/libomp.so.5\n"
      "7f6000010000-7f6000020000 r-xp 00000000 08:01 96 /usr/lib/libopenblas.so.0\n"
      "7f7000010000-7f7000020000 --xp 00000000 08:01 95 /usr/lib/libgomp.so.1\n"
      "7ffd3c203000-7ffd3c205000 r-xp 00000000 00:00 0                          [vdso]\n"
      "\n";
  const auto ranges = openmp_code_ranges_in_maps(maps);
  REQUIRE(ranges.size() == 5);
  CHECK(ranges[0].begin == 0x7f2a24a2c000ULL);
  CHECK(ranges[0].end == 0x7f2a24a5e000ULL);
  CHECK(ranges[1].begin == 0x7f3000010000ULL);  // a wheel's renamed copy
  CHECK(ranges[1].end == 0x7f3000050000ULL);
  CHECK(ranges[2].begin == 0x7f4000010000ULL);  // upper-case hex
  CHECK(ranges[3].begin == 0x7f5000010000ULL);  // a path with a space
  CHECK(ranges[4].begin == 0x7f7000010000ULL);  // execute-only
  CHECK(classify_sample(0x7f2a24a40000ULL, PERF_RECORD_MISC_USER, ranges) == SampleSite::kOpenmp);
  CHECK(classify_sample(0x7f6000010000ULL, PERF_RECORD_MISC_USER, ranges) == SampleSite::kOther);
}

TEST_CASE("openmp_code_ranges_in_maps skips malformed lines", "[perf][sampler]") {
  const char* gomp = " 00000000 08:01 1 /usr/lib/libgomp.so.1\n";
  struct Row {
    std::string range_and_perms;
    bool kept;
  };
  const Row rows[] = {
      {"1000-2000 r-xp", true},
      {"1000-2000 rwxp", true},
      {"1000-2000 r--p", false},             // not executable
      {"1000-2000 rx", false},               // permissions too short
      {"2000-1000 r-xp", false},             // end before begin
      {"1000-1000 r-xp", false},             // empty
      {"10002000 r-xp", false},              // no dash
      {"zz00-2000 r-xp", false},             // not hex
      {"-2000 r-xp", false},                 // no begin
      {"1000- r-xp", false},                 // no end
      {"1000-10000000000000000 r-xp", false},  // 17 hex digits
      {"0-ffffffffffffffff r-xp", true},
  };
  for (const auto& row : rows) {
    INFO(row.range_and_perms);
    CHECK(openmp_code_ranges_in_maps(row.range_and_perms + gomp).size() == (row.kept ? 1u : 0u));
  }
  CHECK(openmp_code_ranges_in_maps("").empty());
  CHECK(openmp_code_ranges_in_maps("1000-2000 r-xp 00000000 08:01 1\n").empty());  // anonymous
  // A runtime replaced on disk while mapped keeps its name with " (deleted)".
  CHECK(openmp_code_ranges_in_maps("1000-2000 r-xp 00000000 08:01 5 /usr/lib/libgomp.so.1 (deleted)\n").size() == 1);
}
