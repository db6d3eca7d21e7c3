#include "sys/affinity.h"

#include <sched.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace torchdiag {

Fact<CpuSet> live_affinity(int pid) {
  for (int ncpus = 1024; ncpus <= (1 << 20); ncpus *= 2) {
    cpu_set_t* mask = CPU_ALLOC(static_cast<size_t>(ncpus));
    const size_t size = CPU_ALLOC_SIZE(static_cast<size_t>(ncpus));
    CPU_ZERO_S(size, mask);
    if (sched_getaffinity(pid, size, mask) == 0) {
      CpuSet cpus;
      for (int cpu = 0; cpu < ncpus; ++cpu) {
        if (CPU_ISSET_S(static_cast<size_t>(cpu), size, mask)) cpus.push_back(cpu);
      }
      CPU_FREE(mask);
      return Fact<CpuSet>::known(cpus, "sched_getaffinity");
    }
    const int err = errno;
    CPU_FREE(mask);
    if (err != EINVAL) {
      return Fact<CpuSet>::unavailable(std::string("sched_getaffinity: ") + std::strerror(err));
    }
  }
  return Fact<CpuSet>::unavailable("sched_getaffinity: mask larger than 1M CPUs");
}

}  // namespace torchdiag
