// `torchdiag snapshot DIR`: capture exactly the files inspect reads, for `inspect --root`.
#include <unistd.h>

#include <chrono>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "probe/env_probe.h"
#include "probe/inspect_probe.h"
#include "probe/node_facts.h"
#include "sys/environment.h"
#include "sys/kernel_paths.h"
#include "sys/snapshot_writer.h"
#include "util/json_text.h"
#include "util/utc_time.h"

namespace torchdiag::cli {
namespace {

struct SnapshotOptions {
  std::string dir;
  bool force = false;
};

std::string environ_file(const std::map<std::string, std::string>& vars) {
  std::string out;
  for (const auto& [k, v] : vars) out += k + "=" + v + '\0';
  return out;
}

void run_snapshot(const SnapshotOptions& o) {
  if (o.dir.empty()) usage_error("snapshot: the directory name is empty");
  std::vector<std::string> reads;
  FsReader live;
  live.record_reads_into(&reads);
  const auto facts = probe_inspect(live);
  probe_node(live, paths::proc_dir(), facts.cgroup.path);
  live.read(paths::proc_dir() + "/status");  // affinity for --root
  // Only the thread-related variables: the rest of an environment may hold secrets.
  const auto env = filter_thread_env(live_environment());
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const nlohmann::json manifest = {{"schema", "torchdiag.snapshot/1"},
                                   {"created", utc_now_iso8601()},
                                   {"host", host},
                                   {"torchdiag_version", TORCHDIAG_VERSION},
                                   {"files", reads}};
  live.record_reads_into(nullptr);
  const std::map<std::string, std::string> extra = {
      {paths::proc_dir() + "/environ", environ_file(env)},
      {"/torchdiag-snapshot.json", json_text(manifest, 2) + "\n"}};
  const auto written = write_snapshot(live, reads, extra, o.dir, o.force);
  if (written.refused) usage_error(written.error);
  if (!written.ok()) runtime_error(written.error);
  fmt::print(stderr, "torchdiag: wrote {} files to {}; analyse with: torchdiag inspect --root {}\n", written.files,
             o.dir, o.dir);
}

}  // namespace

void add_snapshot(CLI::App& app, int&) {
  auto o = std::make_shared<SnapshotOptions>();
  auto* cmd = app.add_subcommand("snapshot", "Capture the files inspect reads into DIR, for inspect --root");
  cmd->add_option("dir", o->dir, "Directory to write the snapshot into")->required();
  cmd->add_flag("--force", o->force,
                "Write into a directory that is not empty, is a symbolic link or belongs to another user "
                "(links inside it are still never followed)");
  cmd->callback([o] { run_snapshot(*o); });
}

}  // namespace torchdiag::cli
