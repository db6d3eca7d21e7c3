// The whole `torchdiag inspect --root DIR --no-torch` pipeline on a snapshot root built
// from the input: probe_inspect, compute_capacity, probe_node, diagnose,
// probe_perf_capability, both renderers, and the JSON read back and diffed with itself. Each input becomes a fresh directory (see temp_template; removed after
// the run), so what is fuzzed is the file contents and the shape of the tree, not the
// paths: those come from the fixed lists below, the files inspect reads (see
// tests/fixtures/roots/).
//
// Input format, a sequence of records until the input ends:
//   op < 0xE0         file: path kPaths()[op % N], a 2-byte little-endian length L,
//                     then L bytes of content (fewer if the input ends first)
//   0xE0 <= op < 0xF0 symlink: 1 byte link (index into kPaths() and kDirs), 1 byte
//                     target kind and index (see symlink_target)
//   op >= 0xF0        directory: 1 byte index into kDirs
// A later record for the same path replaces the earlier one.
//
// Seeds: with TORCHDIAG_FUZZ_ENCODE_ROOT=DIR set, the harness writes the regular files
// of DIR that are on its path list as one input to stdout and exits (tests/perf/fuzz.sh
// encodes tests/fixtures/roots/* that way).
#include <stdlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "advise/capacity_rules.h"
#include "advise/findings.h"
#include "advise/report_diff.h"
#include "fuzz_check.h"
#include "probe/inspect_probe.h"
#include "probe/node_facts.h"
#include "probe/perf_capability.h"
#include "report/inspect_json.h"
#include "report/inspect_text.h"
#include "report/report_reader.h"
#include "sys/fs_reader.h"

using torchdiag::fuzz::check;
namespace stdfs = std::filesystem;

namespace {

constexpr uint8_t kFirstSymlinkOp = 0xE0;
constexpr uint8_t kFirstDirOp = 0xF0;

const std::vector<std::string> kFixedFiles = {
    "proc/self/cgroup",
    "proc/self/mountinfo",
    "proc/self/status",
    "proc/self/environ",
    "proc/pressure/cpu",
    "proc/sys/kernel/perf_event_paranoid",
    "sys/devices/system/cpu/online",
    "sys/devices/system/cpu/cpu0/topology/core_id",
    "sys/devices/system/cpu/cpu0/topology/physical_package_id",
    "sys/devices/system/cpu/cpu1/topology/core_id",
    "sys/devices/system/cpu/cpu1/topology/physical_package_id",
    "sys/devices/system/cpu/cpu2/topology/core_id",
    "sys/devices/system/cpu/cpu2/topology/physical_package_id",
    "sys/devices/system/cpu/cpu3/topology/core_id",
    "sys/devices/system/cpu/cpu3/topology/physical_package_id",
    "sys/devices/system/node/node0/cpulist",
    "sys/devices/system/node/node1/cpulist",
};

/// Cgroup directories of v2, v1 (named and comma-joined controllers), hybrid and
/// escaped ("my cpu") layouts, with nested levels for the walk up to the mount point.
const std::vector<std::string> kDirs = {
    "sys/fs/cgroup",
    "sys/fs/cgroup/system.slice",
    "sys/fs/cgroup/system.slice/worker.service",
    "sys/fs/cgroup/cpu,cpuacct",
    "sys/fs/cgroup/cpu,cpuacct/system.slice",
    "sys/fs/cgroup/cpuset",
    "sys/fs/cgroup/unified",
    "sys/fs/cgroup/my cpu",
};

const std::vector<std::string> kCgroupFiles = {
    "cpu.max",
    "cpu.cfs_quota_us",
    "cpu.cfs_period_us",
    "cpu.stat",
    "cpu.weight",
    "cpu.shares",
    "cpu.pressure",
    "cpuset.cpus.effective",
    "cpuset.effective_cpus",
    "cpuset.cpus",
};

/// kFixedFiles, then every kCgroupFiles name in every kDirs directory.
const std::vector<std::string>& kPaths() {
  static const std::vector<std::string> paths = [] {
    std::vector<std::string> out = kFixedFiles;
    for (const auto& dir : kDirs) {
      for (const auto& name : kCgroupFiles) out.push_back(dir + "/" + name);
    }
    return out;
  }();
  return paths;
}

/// Reads the input's records one at a time; every read past the end gives 0.
class Records {
 public:
  Records(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::string_view bytes(size_t n) {
    n = std::min(n, size_ - pos_);
    const std::string_view out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

/// Makes room for `path`: parent directories made, whatever was at `path` removed.
void clear_place(const stdfs::path& path) {
  std::error_code ec;
  stdfs::create_directories(path.parent_path(), ec);
  stdfs::remove_all(path, ec);
}

void write_file(const stdfs::path& path, std::string_view content) {
  std::error_code ec;
  stdfs::create_directories(path.parent_path(), ec);
  // Through an earlier symlink record this may write the link's target (always under
  // the root) or fail on a directory: both are trees a snapshot can hold.
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

/// A symlink target of kind `selector >> 6`, naming entry `selector & 63` of the
/// path lists: absolute as in a chroot, relative from the link, climbing out of the
/// root, or the link itself (a loop). Absolute targets name only files on the lists,
/// so an FsReader that followed them on the real system would read harmless files.
std::string symlink_target(const std::string& link, uint8_t selector) {
  const auto& paths = kPaths();
  const size_t index = (selector & 63u) % (kDirs.size() + paths.size());
  const std::string& other = index < kDirs.size() ? kDirs[index] : paths[index - kDirs.size()];
  switch (selector >> 6) {
    case 0:
      return "/" + other;
    case 1:
      return stdfs::path(other).lexically_relative(stdfs::path(link).parent_path()).string();
    case 2:
      return "../../../../../../../../" + other;
    default:
      return stdfs::path(link).filename().string();
  }
}

void make_symlink(const stdfs::path& root, Records& in) {
  const auto& paths = kPaths();
  const size_t pick = in.byte() % (paths.size() + kDirs.size());
  const std::string link = pick < paths.size() ? paths[pick] : kDirs[pick - paths.size()];
  const auto target = symlink_target(link, in.byte());
  clear_place(root / link);
  std::error_code ec;
  stdfs::create_symlink(target, root / link, ec);
}

void build_root(const stdfs::path& root, const uint8_t* data, size_t size) {
  const auto& paths = kPaths();
  Records in(data, size);
  while (!in.done()) {
    const uint8_t op = in.byte();
    if (op < kFirstSymlinkOp) {
      const auto& path = paths[op % paths.size()];
      const size_t length = in.byte() | static_cast<size_t>(in.byte()) << 8;
      write_file(root / path, in.bytes(length));
    } else if (op < kFirstDirOp) {
      make_symlink(root, in);
    } else {
      std::error_code ec;
      stdfs::create_directories(root / kDirs[in.byte() % kDirs.size()], ec);
    }
  }
}

/// What `torchdiag inspect --root ROOT --no-torch` does, both output formats included.
void run_inspect(const std::string& root) {
  const torchdiag::FsReader fs(root);
  auto report = torchdiag::probe_inspect(fs);
  report.capacity = torchdiag::compute_capacity(report.cpu, report.cgroup);
  check(report.capacity.allowed_cpus >= 1 && report.capacity.usable_threads >= 1,
        "capacity is at least one CPU and one thread");
  check(report.capacity.usable_threads <= report.capacity.allowed_cpus,
        "never more usable threads than allowed CPUs");
  report.node = torchdiag::probe_node(fs, "/proc/self", report.cgroup.path);
  report.profiling = torchdiag::probe_perf_capability(fs);
  report.findings = torchdiag::diagnose(report);
  const auto json_text = torchdiag::inspect_to_json(report).dump(
      2, ' ', false, nlohmann::json::error_handler_t::replace);
  check(nlohmann::json::accept(json_text), "the JSON report parses back");
  const auto read_back = torchdiag::read_report(json_text, root);
  check(read_back.ok(), "the JSON report reads back for diff");
  check(torchdiag::diff_reports(*read_back, *read_back).mattering() == 0, "a report differs from itself in nothing");
  check(!torchdiag::inspect_to_text(report, false).empty(), "the text report is not empty");
  (void)torchdiag::inspect_to_text(report, true);
}

/// Writes DIR's files that are on kPaths() as one input (seed corpus maker).
void encode_root(const std::string& dir) {
  std::string out;
  const auto& paths = kPaths();
  for (size_t i = 0; i < paths.size(); ++i) {
    const auto file = stdfs::path(dir) / paths[i];
    std::error_code ec;
    if (!stdfs::is_regular_file(stdfs::symlink_status(file, ec))) continue;
    std::ifstream in(file, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    content.resize(std::min<size_t>(content.size(), 0xFFFF));
    out += static_cast<char>(i);
    out += static_cast<char>(content.size() & 0xFF);
    out += static_cast<char>(content.size() >> 8);
    out += content;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  check(kPaths().size() < kFirstSymlinkOp, "every path has a file op byte");
  if (const char* dir = std::getenv("TORCHDIAG_FUZZ_ENCODE_ROOT")) {
    encode_root(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string root = torchdiag::fuzz::temp_template("torchdiag-fuzz-root");
  check(mkdtemp(root.data()) != nullptr, "mkdtemp succeeds");
  build_root(root, data, size);
  run_inspect(root);
  std::error_code ec;
  stdfs::remove_all(root, ec);
  return 0;
}
