#include <catch2/catch.hpp>

#include <dlfcn.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

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
