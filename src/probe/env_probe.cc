#include "probe/env_probe.h"

#include "sys/environment.h"
#include "sys/kernel_paths.h"

namespace torchdiag {

std::map<std::string, std::string> filter_thread_env(const std::map<std::string, std::string>& all) {
  std::map<std::string, std::string> out;
  for (const auto& name : thread_env_names()) {
    const auto it = all.find(name);
    if (it != all.end()) out.insert(*it);
  }
  return out;
}

EnvFacts probe_env(const FsReader& fs, const std::string& proc_dir, bool force_file) {
  EnvFacts out;
  if (fs.is_live() && proc_dir == paths::proc_dir() && !force_file) {
    out.vars = filter_thread_env(live_environment());
    out.source = "process environment";
    return out;
  }
  out.source = join_path(proc_dir, "environ");
  const auto f = fs.read(out.source);
  if (!f.ok()) {
    out.error = f.error;
    return out;
  }
  out.vars = filter_thread_env(parse_environ(f.text));
  return out;
}

}  // namespace torchdiag
