// `torchdiag snapshot DIR`: capture exactly the files inspect reads, for `inspect --root`.
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "util/utc_time.h"
#include "common.h"
#include "probe/env_probe.h"
#include "probe/inspect_probe.h"
#include "sys/environment.h"
#include "sys/snapshot_writer.h"
#include "sys/kernel_paths.h"

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
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(o.dir, ec) && !fs::is_empty(o.dir, ec) && !o.force) {
    usage_error(fmt::format("snapshot directory '{}' exists and is not empty (use --force)", o.dir));
  }
  std::vector<std::string> reads;
  FsReader live;
  live.record_reads_into(&reads);
  probe_inspect(live);
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
      {"/torchdiag-snapshot.json", manifest.dump(2) + "\n"}};
  const auto err = write_snapshot(live, reads, extra, o.dir);
  if (!err.empty()) runtime_error(err);
  fmt::print(stderr, "torchdiag: wrote {} files to {}; analyse with: torchdiag inspect --root {}\n",
             reads.size() + extra.size(), o.dir, o.dir);
}

}  // namespace

void add_snapshot(CLI::App& app, int&) {
  auto o = std::make_shared<SnapshotOptions>();
  auto* cmd = app.add_subcommand("snapshot", "Capture the files inspect reads into DIR, for inspect --root");
  cmd->add_option("dir", o->dir, "Directory to write the snapshot into")->required();
  cmd->add_flag("--force", o->force, "Write into a directory that is not empty");
  cmd->callback([o] { run_snapshot(*o); });
}

}  // namespace torchdiag::cli
