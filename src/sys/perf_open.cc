#include "sys/perf_open.h"

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <limits>

#include "sys/fs_reader.h"
#include "sys/kernel_paths.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

long real_perf_open(void* attr, int pid, int cpu, int group_fd, unsigned long flags) {
  return ::syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
}

}  // namespace

PerfOpener::PerfOpener(int paranoid, PerfOpenFn open_fn)
    : paranoid_(paranoid), open_fn_(open_fn ? open_fn : real_perf_open) {}

long PerfOpener::call(perf_event_attr& attr, const PerfOpenTarget& target) const {
  return open_fn_(&attr, target.pid, target.cpu, target.group_fd, PERF_FLAG_FD_CLOEXEC);
}

PerfOpenResult PerfOpener::open(perf_event_attr& attr, const PerfOpenTarget& target) {
  if (user_only_) attr.exclude_kernel = 1;
  long fd = call(attr, target);
  if (fd < 0 && errno == EACCES && !attr.exclude_kernel) {
    attr.exclude_kernel = 1;  // perf_event_paranoid >= 2 allows user-space counting only
    fd = call(attr, target);
    if (fd >= 0) user_only_ = true;
  }
  PerfOpenResult r;
  r.user_only = attr.exclude_kernel != 0;
  if (fd < 0) {
    r.error = errno;
    r.reason = explain_perf_errno(r.error, paranoid_, target.pid != 0);
    return r;
  }
  r.fd = static_cast<int>(fd);
  return r;
}

std::optional<int> parse_perf_paranoid(std::string_view text) {
  const auto v = parse_int(trim(text));
  if (!v || *v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max()) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<int> read_perf_paranoid(const FsReader& fs) {
  const auto f = fs.read(paths::kPerfParanoid);
  return f.ok() ? parse_perf_paranoid(f.text) : std::nullopt;
}

}  // namespace torchdiag
