#include "watch/targets.h"

#include <regex>

#include <fmt/format.h>

#include "probe/task_files.h"
#include "sys/kernel_paths.h"
#include "sys/threadpool_libs.h"
#include "util/strings.h"

namespace torchdiag {

Expected<WatchTarget> identify_process(const FsReader& fs, int pid) {
  const std::string dir = paths::proc_dir(pid);
  const auto stat_file = fs.read(dir + "/stat");
  if (!stat_file.ok()) {
    if (stat_file.errno_value == ENOENT) return Expected<WatchTarget>::failure("no such process");
    return Expected<WatchTarget>::failure("cannot read " + dir + "/stat: " + stat_file.error);
  }
  const auto stat = parse_task_stat(stat_file.text);
  if (!stat) return Expected<WatchTarget>::failure(dir + "/stat is malformed");
  WatchTarget t;
  t.pid = pid;
  t.start_ticks = stat->start_ticks;
  t.comm = printable(stat->comm);
  if (stat->kernel_thread()) {
    return Expected<WatchTarget>::failure(fmt::format("is a kernel thread ({}); watch looks at user processes", t.comm));
  }
  if (stat->state == 'Z' || stat->state == 'X') {
    return Expected<WatchTarget>::failure(fmt::format("is a zombie ({} has exited)", t.comm));
  }
  const auto cmdline = fs.read(dir + "/cmdline");
  t.cmdline = cmdline.ok() ? format_cmdline(cmdline.text) : "";
  const auto maps = fs.read(dir + "/maps");
  if (maps.ok()) {
    t.mapped = parse_maps_paths(maps.text);
    t.openmp_ranges = openmp_code_ranges_in_maps(maps.text);
  } else {
    t.maps_error = "cannot read " + dir + "/maps: " + maps.error +
                   (maps.errno_value == EACCES ? " (needs the process's owner or root)" : "");
  }
  return t;
}

bool maps_thread_pool_runtime(const WatchTarget& target) {
  return !find_threadpools(target.mapped).empty() || !find_frameworks(target.mapped).empty();
}

Expected<std::vector<WatchTarget>> discover_processes(const FsReader& fs, int self_pid,
                                                      const std::optional<std::string>& match, bool runtimes,
                                                      int& scanned) {
  std::optional<std::regex> pattern;
  if (match) {
    try {
      pattern.emplace(*match, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      return Expected<std::vector<WatchTarget>>::failure(
          fmt::format("--match '{}': not a valid regular expression ({})", *match, e.what()));
    }
  }
  std::vector<WatchTarget> out;
  scanned = 0;
  for (const auto& name : fs.list_dir(paths::kProc)) {
    const auto pid = parse_int(name);
    if (!pid || *pid <= 0 || *pid > 0x7fffffff || *pid == self_pid) continue;
    auto t = identify_process(fs, static_cast<int>(*pid));
    if (!t) continue;  // gone, a kernel thread or a zombie
    ++scanned;
    const bool named = pattern && std::regex_search(t->cmdline, *pattern);
    if (named || (runtimes && maps_thread_pool_runtime(*t))) out.push_back(std::move(*t));
  }
  return out;
}

}  // namespace torchdiag
