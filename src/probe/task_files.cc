#include "probe/task_files.h"

#include "probe/process_status.h"
#include "sys/clock.h"
#include "sys/kernel_paths.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

/// A non-negative base-10 integer (every counter in these files is one).
std::optional<long long> parse_count(std::string_view s) {
  const auto v = parse_int(s);
  return v && *v >= 0 ? v : std::nullopt;
}

long long status_count(const std::string& status, const char* name) {
  const auto v = status_field(status, name);
  return v ? parse_count(*v).value_or(0) : 0;
}

/// One thread's files, or nullopt when its stat is gone or malformed.
std::optional<ThreadSample> sample_thread(const FsReader& fs, const std::string& dir, int tid,
                                          SampleFiles& files) {
  const auto stat_file = fs.read(dir + "/stat");
  const auto stat = stat_file.ok() ? parse_task_stat(stat_file.text) : std::nullopt;
  if (!stat) return std::nullopt;
  ThreadSample t;
  t.tid = tid;
  t.name = printable(stat->comm);
  t.state = stat->state;
  t.utime_ticks = stat->utime_ticks;
  t.stime_ticks = stat->stime_ticks;
  t.processor = stat->processor;
  bool no_schedstat = false;
  if (files.schedstat) {
    const auto f = fs.read(dir + "/schedstat");
    if (f.ok()) t.schedstat = parse_schedstat(f.text);
    no_schedstat = f.errno_value == ENOENT;
  }
  const auto status = fs.read(dir + "/status");
  if (!status.ok()) return std::nullopt;  // exited between the reads
  // Missing from a thread that was still there afterwards: the kernel has no schedstat.
  if (no_schedstat) files.schedstat = false;
  t.voluntary_switches = status_count(status.text, "voluntary_ctxt_switches");
  t.involuntary_switches = status_count(status.text, "nonvoluntary_ctxt_switches");
  if (files.sched) {
    const auto f = fs.read(dir + "/sched");
    if (f.ok()) t.migrations = parse_sched_migrations(f.text);
    if (f.errno_value == ENOENT && fs.is_dir(dir)) files.sched = false;  // no CONFIG_SCHED_DEBUG
  }
  return t;
}

}  // namespace

std::optional<TaskStat> parse_task_stat(std::string_view text) {
  const auto open = text.find('(');
  const auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  TaskStat out;
  out.comm = std::string(text.substr(open + 1, close - open - 1));
  // Fields from 3 (state) on; fields[0] is field 3.
  const auto fields = split_ws(trim(text.substr(close + 1)));
  if (fields.size() < 37 || fields[0].size() != 1) return std::nullopt;
  const auto field = [&](int n) { return parse_count(fields[static_cast<size_t>(n - 3)]); };
  const auto flags = field(9), utime = field(14), stime = field(15), threads = field(20), start = field(22),
             cpu = field(39);
  if (!flags || !utime || !stime || !threads || !start || !cpu || *cpu > 0x7fffffff) return std::nullopt;
  out.state = fields[0][0];
  out.flags = static_cast<unsigned long long>(*flags);
  out.utime_ticks = *utime;
  out.stime_ticks = *stime;
  out.num_threads = *threads;
  out.start_ticks = static_cast<unsigned long long>(*start);
  out.processor = static_cast<int>(*cpu);
  return out;
}

std::optional<Schedstat> parse_schedstat(std::string_view text) {
  const auto fields = split_ws(trim(text));
  if (fields.size() != 3) return std::nullopt;
  const auto on = parse_count(fields[0]), wait = parse_count(fields[1]), slices = parse_count(fields[2]);
  if (!on || !wait || !slices) return std::nullopt;
  return Schedstat{static_cast<uint64_t>(*on), static_cast<uint64_t>(*wait), static_cast<uint64_t>(*slices)};
}

std::optional<long long> parse_sched_migrations(std::string_view text) {
  for (const auto line : split(text, '\n')) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || trim(line.substr(0, colon)) != "se.nr_migrations") continue;
    return parse_count(trim(line.substr(colon + 1)));
  }
  return std::nullopt;
}

ProcessSample sample_process(const FsReader& fs, int pid, unsigned long long start_ticks,
                             SampleFiles& files) {
  ProcessSample out;
  out.t_s = steady_now_s();
  const std::string dir = paths::proc_dir(pid);
  const auto own = fs.read(dir + "/stat");
  const auto stat = own.ok() ? parse_task_stat(own.text) : std::nullopt;
  if (!stat || stat->start_ticks != start_ticks || stat->state == 'Z' || stat->state == 'X') {
    out.gone = true;
    return out;
  }
  for (const auto& name : fs.list_dir(dir + "/task")) {
    const auto tid = parse_int(name);
    if (!tid || *tid <= 0 || *tid > 0x7fffffff) continue;
    if (auto t = sample_thread(fs, dir + "/task/" + name, static_cast<int>(*tid), files)) {
      out.threads.push_back(std::move(*t));
    }
  }
  if (out.threads.empty()) out.gone = !fs.is_dir(dir);
  return out;
}

std::string format_cmdline(std::string_view raw, size_t max_bytes) {
  while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
  std::string out;
  for (const char c : raw.substr(0, std::min(raw.size(), max_bytes))) out += c == '\0' ? ' ' : c;
  out = printable(out);
  if (raw.size() > max_bytes) out += "...";
  return sanitize_utf8(out);
}

}  // namespace torchdiag
