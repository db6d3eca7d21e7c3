// Which processes `torchdiag watch` looks at: identify_process, maps_thread_pool_runtime
// and discover_processes over a fake /proc tree.
#include "watch/targets.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "unit/probe/temp_tree.h"
#include "util/strings.h"

using namespace torchdiag;
using torchdiag::testing::TempTree;

namespace {

constexpr unsigned long long kPfKthread = 0x00200000ULL;

/// A /proc/PID/stat line with the given comm, state, flags and start time.
std::string stat_line(int pid, const std::string& comm, char state = 'S', unsigned long long flags = 4194304,
                      unsigned long long start = 5000) {
  std::vector<std::string> f(50, "0");
  f[0] = std::string(1, state);                 // field 3
  f[9 - 3] = std::to_string(flags);             // field 9
  f[20 - 3] = "1";                              // num_threads
  f[22 - 3] = std::to_string(start);            // starttime
  f[39 - 3] = "2";                              // processor
  return std::to_string(pid) + " (" + comm + ") " + join(f, " ") + "\n";
}

std::string maps_line(const std::string& range, const std::string& perms, const std::string& path) {
  return range + " " + perms + " 00000000 08:01 1840231                    " + path + "\n";
}

const std::string kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
const std::string kSystemGomp = "/usr/lib/x86_64-linux-gnu/libgomp.so.1";
const std::string kWheelGomp = "/opt/venv/lib/python3.11/site-packages/torch/lib/libgomp-a34b3233.so.1";
const std::string kTorchCpu = "/opt/libtorch/lib/libtorch_cpu.so";

std::string plain_maps(const std::string& exe) {
  return maps_line("55d0c4a00000-55d0c4a02000", "r--p", exe) +
         "55d0c5e3b000-55d0c5f5c000 rw-p 00000000 00:00 0                          [heap]\n" +
         maps_line("7f2a26000000-7f2a26028000", "r--p", kLibc) +
         maps_line("7f2a26028000-7f2a261bd000", "r-xp", kLibc) +
         "7ffd3c203000-7ffd3c205000 r-xp 00000000 00:00 0                          [vdso]\n";
}

/// Writes stat, cmdline and maps of one process; "" leaves the file out.
void write_process(const TempTree& tree, int pid, const std::string& stat, const std::string& cmdline,
                   const std::string& maps) {
  const std::string dir = "proc/" + std::to_string(pid) + "/";
  tree.mkdir(dir);
  if (!stat.empty()) tree.write(dir + "stat", stat);
  if (!cmdline.empty()) tree.write(dir + "cmdline", cmdline);
  if (!maps.empty()) tree.write(dir + "maps", maps);
}

/// A /proc with: init (plain), kthreadd (kernel thread), a zombie, a process mapping
/// the system libgomp, one mapping a wheel's renamed libgomp, a C++ engine mapping
/// libtorch_cpu.so, a plain bash, this process (mapping libgomp), a vanished PID
/// (directory without stat), a process whose maps is missing, and entries that are
/// not PIDs.
void build_proc(const TempTree& tree) {
  write_process(tree, 1, stat_line(1, "systemd"), std::string("/sbin/init\0splash\0", 18), plain_maps("/sbin/init"));
  write_process(tree, 2, stat_line(2, "kthreadd", 'S', 2129984, 24), "", "");
  write_process(tree, 100, stat_line(100, "defunct", 'Z'), "", maps_line("7f0000000000-7f0000001000", "r-xp", kSystemGomp));
  write_process(tree, 200, stat_line(200, "python3", 'S', 4194304, 7000),
                std::string("python3\0train.py\0--epochs\0""3\0", 28),
                plain_maps("/usr/bin/python3.11") + maps_line("7f2a24a00000-7f2a24a2c000", "r--p", kSystemGomp) +
                    maps_line("7f2a24a2c000-7f2a24a5e000", "r-xp", kSystemGomp));
  write_process(tree, 300, stat_line(300, "python3", 'R', 4194304, 8000),
                std::string("/opt/venv/bin/python\0-m\0serve\0", 30),
                plain_maps("/usr/bin/python3.11") + maps_line("7f3000000000-7f3000010000", "r--p", kWheelGomp) +
                    maps_line("7f3000010000-7f3000050000", "r-xp", kWheelGomp) +
                    maps_line("7f3000050000-7f3000060000", "r--p", kWheelGomp));
  write_process(tree, 400, stat_line(400, "infer_server", 'S', 4194352, 9000),
                std::string("/opt/app/infer_server\0--port\0""9000\0", 34),
                plain_maps("/opt/app/infer_server") + maps_line("7f4000000000-7f4000800000", "r-xp", kTorchCpu));
  write_process(tree, 500, stat_line(500, "bash"), std::string("-bash\0", 6), plain_maps("/usr/bin/bash"));
  write_process(tree, 600, stat_line(600, "torchdiag"), std::string("torchdiag\0watch\0--all\0", 22),
                plain_maps("/usr/bin/torchdiag") + maps_line("7f6000000000-7f6000010000", "r-xp", kSystemGomp));
  write_process(tree, 700, "", "", "");
  write_process(tree, 800, stat_line(800, "serve.py"), std::string("python3\0/srv/serve.py\0", 22), "");
  tree.write("proc/self/stat", stat_line(600, "torchdiag"));
  tree.write("proc/sys/kernel/pid_max", "4194304\n");
  tree.write("proc/cpuinfo", "processor : 0\n");
  tree.mkdir("proc/0");
}

std::vector<int> pids_of(const std::vector<WatchTarget>& targets) {
  std::vector<int> out;
  for (const auto& t : targets) out.push_back(t.pid);
  return out;
}

const WatchTarget* find_pid(const std::vector<WatchTarget>& targets, int pid) {
  for (const auto& t : targets) {
    if (t.pid == pid) return &t;
  }
  return nullptr;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("identify_process reads a process's identity and maps", "[watch][targets]") {
  TempTree tree;
  REQUIRE(tree.ok());
  build_proc(tree);
  const FsReader fs(tree.root());

  SECTION("a process with the wheel's renamed libgomp") {
    const auto t = identify_process(fs, 300);
    REQUIRE(t.ok());
    CHECK(t->pid == 300);
    CHECK(t->start_ticks == 8000ULL);
    CHECK(t->comm == "python3");
    CHECK(t->cmdline == "/opt/venv/bin/python -m serve");
    CHECK(t->maps_error.empty());
    CHECK(std::find(t->mapped.begin(), t->mapped.end(), kWheelGomp) != t->mapped.end());
    CHECK(std::count(t->mapped.begin(), t->mapped.end(), kWheelGomp) == 1);
    REQUIRE(t->openmp_ranges.size() == 1);  // its one executable mapping
    CHECK(t->openmp_ranges[0].begin == 0x7f3000010000ULL);
    CHECK(t->openmp_ranges[0].end == 0x7f3000050000ULL);
    CHECK(maps_thread_pool_runtime(*t));
  }
  SECTION("a C++ engine mapping libtorch_cpu.so") {
    const auto t = identify_process(fs, 400);
    REQUIRE(t.ok());
    CHECK(t->comm == "infer_server");
    CHECK(t->cmdline == "/opt/app/infer_server --port 9000");
    CHECK(t->openmp_ranges.empty());
    CHECK(maps_thread_pool_runtime(*t));
  }
  SECTION("a plain process") {
    const auto t = identify_process(fs, 500);
    REQUIRE(t.ok());
    CHECK(t->cmdline == "-bash");
    CHECK_FALSE(t->mapped.empty());
    CHECK(t->openmp_ranges.empty());
    CHECK_FALSE(maps_thread_pool_runtime(*t));
  }
  SECTION("no such process") {
    const auto t = identify_process(fs, 4242);
    REQUIRE_FALSE(t.ok());
    CHECK(t.error() == "no such process");
  }
  SECTION("a vanished process: its directory without a stat") {
    const auto t = identify_process(fs, 700);
    REQUIRE_FALSE(t.ok());
    CHECK(t.error() == "no such process");
  }
  SECTION("a kernel thread") {
    const auto t = identify_process(fs, 2);
    REQUIRE_FALSE(t.ok());
    CHECK(contains(t.error(), "kernel thread"));
    CHECK(contains(t.error(), "(kthreadd)"));
  }
  SECTION("a zombie") {
    const auto t = identify_process(fs, 100);
    REQUIRE_FALSE(t.ok());
    CHECK(contains(t.error(), "zombie"));
    CHECK(contains(t.error(), "defunct"));
  }
  SECTION("a malformed stat") {
    tree.write("proc/900/stat", "900 (x) S 1 2 3\n");
    const auto t = identify_process(fs, 900);
    REQUIRE_FALSE(t.ok());
    CHECK(t.error() == "/proc/900/stat is malformed");
  }
  SECTION("maps missing: identified, with the reason") {
    const auto t = identify_process(fs, 800);
    REQUIRE(t.ok());
    CHECK(t->cmdline == "python3 /srv/serve.py");
    CHECK(t->mapped.empty());
    CHECK(contains(t->maps_error, "/proc/800/maps"));
    CHECK(contains(t->maps_error, "No such file"));
    CHECK_FALSE(maps_thread_pool_runtime(*t));
  }
  SECTION("a hostile name and command line are made printable") {
    write_process(tree, 901, stat_line(901, "\x1b[2J) S evil"), std::string("a\x1b]0;x\x07\0b\xff\0", 11), "");
    const auto t = identify_process(fs, 901);
    REQUIRE(t.ok());
    CHECK(t->comm == "?[2J) S evil");
    CHECK(t->cmdline == "a?]0;x? b\xef\xbf\xbd");
  }
  SECTION("no cmdline (it can be empty for a process being torn down)") {
    write_process(tree, 902, stat_line(902, "busy"), "", plain_maps("/usr/bin/busy"));
    const auto t = identify_process(fs, 902);
    REQUIRE(t.ok());
    CHECK(t->cmdline.empty());
  }
}

TEST_CASE("maps_thread_pool_runtime looks for pools and frameworks", "[watch][targets]") {
  struct Row {
    std::vector<std::string> mapped;
    bool want;
  };
  const Row rows[] = {
      {{kLibc, kSystemGomp}, true},
      {{kWheelGomp}, true},
      {{"/opt/intel/lib/libiomp5.so"}, true},
      {{"/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"}, true},
      {{kTorchCpu}, true},
      {{"/usr/lib/libc10.so"}, true},
      {{"/opt/ort/lib/libonnxruntime.so.1.17.0"}, true},
      {{"/usr/lib/libtensorflow_framework.so.2"}, true},
      {{kLibc, "/usr/bin/bash"}, false},
      {{"/opt/libtorch/lib/libfoo.so"}, false},  // only the basename counts
      {{}, false},
  };
  for (const auto& row : rows) {
    INFO(join(row.mapped, ", "));
    WatchTarget t;
    t.mapped = row.mapped;
    CHECK(maps_thread_pool_runtime(t) == row.want);
  }
}

TEST_CASE("discover_processes finds user processes that map a runtime", "[watch][targets]") {
  TempTree tree;
  REQUIRE(tree.ok());
  build_proc(tree);
  const FsReader fs(tree.root());

  int scanned = -1;
  const auto found = discover_processes(fs, 600, std::nullopt, true, scanned);
  REQUIRE(found.ok());
  // Not: init and bash (nothing mapped), kthreadd, the zombie, this process (600),
  // the vanished 700, 800 (maps unreadable).
  CHECK(pids_of(*found) == std::vector<int>{200, 300, 400});
  CHECK(scanned == 6);  // 1, 200, 300, 400, 500, 800: identified user processes
  const auto* wheel = find_pid(*found, 300);
  REQUIRE(wheel);
  CHECK(wheel->start_ticks == 8000ULL);
  CHECK(wheel->openmp_ranges.size() == 1);
  const auto* system = find_pid(*found, 200);
  REQUIRE(system);
  CHECK(system->cmdline == "python3 train.py --epochs 3");
  REQUIRE(system->openmp_ranges.size() == 1);
  CHECK(system->openmp_ranges[0].begin == 0x7f2a24a2c000ULL);

  SECTION("another self PID: this process is found too") {
    int n = 0;
    const auto all = discover_processes(fs, 99999, std::nullopt, true, n);
    REQUIRE(all.ok());
    CHECK(pids_of(*all) == std::vector<int>{200, 300, 400, 600});
    CHECK(n == 7);
  }
}

TEST_CASE("discover_processes adds processes whose command line matches", "[watch][targets]") {
  TempTree tree;
  REQUIRE(tree.ok());
  build_proc(tree);
  const FsReader fs(tree.root());
  struct Row {
    const char* pattern;
    std::vector<int> want;
  };
  const Row rows[] = {
      {"bash", {200, 300, 400, 500}},
      {"serve\\.py$", {200, 300, 400, 800}},     // maps unreadable, named by its command line
      {"^/sbin/init splash$", {1, 200, 300, 400}},  // arguments joined by spaces
      {"train", {200, 300, 400}},                  // already found by its maps: once
      {"nothing-matches-this", {200, 300, 400}},
      {"defunct|kthreadd", {200, 300, 400}},       // never kernel threads or zombies
      {"watch --all", {200, 300, 400}},            // never this process
      {"", {1, 200, 300, 400, 500, 800}},          // the empty pattern matches every line
  };
  for (const auto& row : rows) {
    INFO("--match '" << row.pattern << "'");
    int scanned = 0;
    const auto found = discover_processes(fs, 600, std::string(row.pattern), true, scanned);
    REQUIRE(found.ok());
    CHECK(pids_of(*found) == row.want);
    CHECK(scanned == 6);
  }
}

TEST_CASE("discover_processes without runtimes finds only what the pattern names", "[watch][targets]") {
  TempTree tree;
  REQUIRE(tree.ok());
  build_proc(tree);
  const FsReader fs(tree.root());
  struct Row {
    std::optional<std::string> pattern;
    std::vector<int> want;
  };
  const Row rows[] = {
      {std::string("bash"), {500}},
      {std::string("python"), {200, 300, 800}},
      {std::string("serve"), {300, 400, 800}},  // "infer_server" contains it too
      {std::string("nothing-matches-this"), {}},
      {std::nullopt, {}},
  };
  for (const auto& row : rows) {
    INFO("--match '" << row.pattern.value_or("(none)") << "'");
    int scanned = -1;
    const auto found = discover_processes(fs, 600, row.pattern, false, scanned);
    REQUIRE(found.ok());
    CHECK(pids_of(*found) == row.want);
    CHECK(scanned == 6);
  }
}

TEST_CASE("discover_processes refuses an invalid pattern", "[watch][targets]") {
  TempTree tree;
  REQUIRE(tree.ok());
  build_proc(tree);
  const FsReader fs(tree.root());
  for (const char* bad : {"(", "[a-", "*serve", "a{2,1}"}) {
    INFO("--match '" << bad << "'");
    int scanned = 0;
    const auto found = discover_processes(fs, 600, std::string(bad), true, scanned);
    REQUIRE_FALSE(found.ok());
    CHECK(contains(found.error(), std::string("--match '") + bad + "'"));
    CHECK(contains(found.error(), "not a valid regular expression"));
  }
}

TEST_CASE("discover_processes on an empty or missing /proc", "[watch][targets]") {
  TempTree tree;
  REQUIRE(tree.ok());
  const FsReader fs(tree.root());
  int scanned = -1;
  const auto none = discover_processes(fs, 1, std::nullopt, true, scanned);
  REQUIRE(none.ok());
  CHECK(none->empty());
  CHECK(scanned == 0);
}
