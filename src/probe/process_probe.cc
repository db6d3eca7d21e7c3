#include "probe/process_probe.h"

#include <string>

#include "probe/process_status.h"
#include "sys/threadpool_libs.h"
#include "util/strings.h"
#include "sys/kernel_paths.h"

namespace torchdiag {
namespace {

long long field_int(const std::string& status, const char* name) {
  const auto v = status_field(status, name);
  const auto n = v ? parse_int(*v) : std::nullopt;
  return n ? *n : 0;
}

}  // namespace

ProcessFacts probe_process(const FsReader& fs, int pid) {
  ProcessFacts out;
  out.pid = pid;
  const std::string dir = paths::proc_dir(pid);
  out.comm = std::string(trim(fs.read(dir + "/comm").text));
  for (const auto& tid : fs.list_dir(dir + "/task")) {
    const auto status = fs.read(dir + "/task/" + tid + "/status");
    if (!status.ok()) continue;  // the thread exited while we looked
    ThreadSched t;
    t.tid = static_cast<int>(parse_int(tid).value_or(0));
    t.name = status_field(status.text, "Name").value_or("");
    t.voluntary_switches = field_int(status.text, "voluntary_ctxt_switches");
    t.involuntary_switches = field_int(status.text, "nonvoluntary_ctxt_switches");
    out.threads.push_back(t);
  }
  const auto status = fs.read(dir + "/status");
  out.thread_count = static_cast<int>(field_int(status.text, "Threads"));
  if (out.thread_count == 0) out.thread_count = static_cast<int>(out.threads.size());
  const auto maps = fs.read(dir + "/maps");
  if (!maps.ok()) {
    out.error = "cannot read " + dir + "/maps: " + maps.error;
    return out;
  }
  const auto paths = parse_maps_paths(maps.text);
  out.threadpools = find_threadpools(paths);
  out.allocator = find_allocator(paths);
  return out;
}

}  // namespace torchdiag
