#include "probe/env_probe.h"

#include "probe/pod_identity.h"
#include "sys/environment.h"
#include "sys/kernel_paths.h"

namespace torchdiag {

namespace {

std::map<std::string, std::string> keep(const std::map<std::string, std::string>& all,
                                        const std::vector<std::string>& names) {
  std::map<std::string, std::string> out;
  for (const auto& name : names) {
    const auto it = all.find(name);
    if (it != all.end()) out.insert(*it);
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> filter_thread_env(const std::map<std::string, std::string>& all) {
  return keep(all, thread_env_names());
}

EnvFacts probe_env(const FsReader& fs, const std::string& proc_dir, bool force_file) {
  EnvFacts out;
  if (fs.is_live() && proc_dir == paths::proc_dir() && !force_file) {
    const auto all = live_environment();
    out.vars = filter_thread_env(all);
    out.pod = keep(all, pod_env_names());
    out.source = "process environment";
    return out;
  }
  out.source = join_path(proc_dir, "environ");
  const auto f = fs.read(out.source);
  if (!f.ok()) {
    out.error = f.error;
    return out;
  }
  const auto all = parse_environ(f.text);
  out.vars = filter_thread_env(all);
  out.pod = keep(all, pod_env_names());
  return out;
}

}  // namespace torchdiag
