// Per-thread scheduling files of another process: the stat, schedstat and sched
// parsers on real and hostile lines, and sample_process over fake /proc trees.
#include "probe/task_files.h"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "unit/probe/temp_tree.h"
#include "util/strings.h"

using namespace torchdiag;
using torchdiag::testing::TempTree;

namespace {

/// Fields 3..52 of a real /proc/PID/stat line (a `cat` process), index 0 = field 3.
std::vector<std::string> default_fields() {
  return {"R", "11881", "11881", "11159", "0", "-1", "4194304", "98", "0", "0", "0", "7", "3",
          "0", "0", "20", "0", "1", "0", "1249460", "3133440", "416", "18446744073709551615",
          "94259153051648", "94259153071529", "140723634079392", "0", "0", "0", "0", "0", "0", "0",
          "0", "0", "17", "1", "0", "0", "0", "0", "0", "94259153087536", "94259153089152",
          "94260093874176", "140723634080396", "140723634080416", "140723634080416",
          "140723634081771", "0"};
}

/// A stat line "PID (COMM) FIELDS..." with some fields replaced (keys are field numbers
/// as in proc(5)) and the list cut to `fields` entries after the comm.
std::string stat_line(const std::string& comm, const std::map<int, std::string>& set = {},
                      size_t fields = 50, int pid = 4242) {
  auto f = default_fields();
  for (const auto& [n, v] : set) f[static_cast<size_t>(n - 3)] = v;
  f.resize(fields);
  return std::to_string(pid) + " (" + comm + ") " + join(f, " ") + "\n";
}

/// Writes one thread's files under proc/PID/task/TID/; empty text = no such file.
struct TaskFiles {
  std::string stat;
  std::string schedstat;
  std::string status;
  std::string sched;
};

void write_task(const TempTree& tree, int pid, int tid, const TaskFiles& files) {
  const std::string dir = "proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/";
  tree.mkdir(dir);
  if (!files.stat.empty()) tree.write(dir + "stat", files.stat);
  if (!files.schedstat.empty()) tree.write(dir + "schedstat", files.schedstat);
  if (!files.status.empty()) tree.write(dir + "status", files.status);
  if (!files.sched.empty()) tree.write(dir + "sched", files.sched);
}

std::string status_text(long long voluntary, long long involuntary) {
  return "Name:\tpython3\nState:\tS (sleeping)\nvoluntary_ctxt_switches:\t" + std::to_string(voluntary) +
         "\nnonvoluntary_ctxt_switches:\t" + std::to_string(involuntary) + "\n";
}

std::string sched_text(long long migrations) {
  return "python3 (4243, #threads: 2)\n"
         "-------------------------------------------------------------------\n"
         "se.exec_start                                :      93178421.187643\n"
         "se.sum_exec_runtime                          :          1532.096110\n"
         "se.nr_migrations                             :                   " +
         std::to_string(migrations) + "\nnr_switches                                  :                  512\n";
}

/// A complete thread: every file present.
TaskFiles full_task(const std::string& comm, char state, unsigned long long start = 1249460) {
  return {stat_line(comm, {{3, std::string(1, state)}, {22, std::to_string(start)}}), "1500000 250000 12\n",
          status_text(40, 3), sched_text(9)};
}

const ThreadSample* find_tid(const ProcessSample& s, int tid) {
  for (const auto& t : s.threads) {
    if (t.tid == tid) return &t;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("parse_task_stat reads real kernel lines", "[probe][task]") {
  SECTION("a user process") {
    const auto s = parse_task_stat(
        "11883 (cat) R 11881 11881 11159 0 -1 4194304 98 0 0 0 0 0 0 0 20 0 1 0 1249460 3133440 416 "
        "18446744073709551615 94259153051648 94259153071529 140723634079392 0 0 0 0 0 0 0 0 0 17 1 0 0 "
        "0 0 0 94259153087536 94259153089152 94260093874176 140723634080396 140723634080416 "
        "140723634080416 140723634081771 0\n");
    REQUIRE(s);
    CHECK(s->comm == "cat");
    CHECK(s->state == 'R');
    CHECK(s->flags == 4194304ULL);
    CHECK_FALSE(s->kernel_thread());
    CHECK(s->utime_ticks == 0);
    CHECK(s->stime_ticks == 0);
    CHECK(s->num_threads == 1);
    CHECK(s->start_ticks == 1249460ULL);
    CHECK(s->processor == 1);
  }
  SECTION("a kernel thread: PF_KTHREAD in the flags") {
    const auto s = parse_task_stat(
        "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 24 0 0 18446744073709551615 0 0 0 0 "
        "0 0 0 2147483647 0 1 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
    REQUIRE(s);
    CHECK(s->comm == "kthreadd");
    CHECK(s->state == 'S');
    CHECK(s->flags == 2129984ULL);
    CHECK(s->kernel_thread());
    CHECK(s->start_ticks == 24ULL);
  }
  SECTION("the fields watch uses land where proc(5) puts them") {
    const auto s = parse_task_stat(
        stat_line("w", {{9, "64"}, {14, "1234"}, {15, "567"}, {20, "17"}, {22, "987654321"}, {39, "31"}}));
    REQUIRE(s);
    CHECK(s->flags == 64ULL);
    CHECK(s->utime_ticks == 1234);
    CHECK(s->stime_ticks == 567);
    CHECK(s->num_threads == 17);
    CHECK(s->start_ticks == 987654321ULL);
    CHECK(s->processor == 31);
  }
}

TEST_CASE("parse_task_stat takes the comm up to the last parenthesis", "[probe][task]") {
  struct Row {
    const char* comm;
  };
  // A thread names itself (prctl PR_SET_NAME), so any of these can appear.
  const Row rows[] = {
      {"(a) (b))"},      {""},           {"my worker 1"},    {")"},          {"("},
      {") R 1 2 3"},     {"a\tb\nc"},    {"((("},            {")))"},        {"pt_interop"},
      {"x) S 0 0 (y"},   {"\x1b[31m"},   {"0123456789abcde"}, {"  spaced  "},
  };
  for (const auto& row : rows) {
    INFO("comm [" << row.comm << "]");
    const auto s = parse_task_stat(stat_line(row.comm, {{3, "S"}, {39, "5"}}));
    REQUIRE(s);
    CHECK(s->comm == row.comm);
    CHECK(s->state == 'S');
    CHECK(s->processor == 5);
    CHECK(s->start_ticks == 1249460ULL);
  }
}

TEST_CASE("parse_task_stat keeps every state letter", "[probe][task]") {
  for (const char state : std::string("RSDZTtXxIWPKi")) {
    INFO("state " << state);
    const auto s = parse_task_stat(stat_line("t", {{3, std::string(1, state)}}));
    REQUIRE(s);
    CHECK(s->state == state);
  }
  CHECK_FALSE(parse_task_stat(stat_line("t", {{3, "RS"}})));  // a state is one character
  CHECK_FALSE(parse_task_stat(stat_line("t", {{3, "running"}})));
}

TEST_CASE("parse_task_stat refuses truncated and malformed lines", "[probe][task]") {
  struct Row {
    std::string text;
    const char* why;
  };
  const Row rows[] = {
      {"", "empty"},
      {"\n", "a newline only"},
      {"4242", "no comm"},
      {"4242 (abc", "cut inside the comm"},
      {"4242 abc) R 1", "no opening parenthesis"},
      {"4242 )abc( R 1 2 3", "parentheses the wrong way round"},
      {"4242 (abc)", "nothing after the comm"},
      {"4242 (abc) R", "the state only"},
      {stat_line("abc", {}, 36), "cut before the processor (field 39)"},
      {stat_line("abc", {}, 20), "cut after the start time"},
      {stat_line("abc", {{9, "-1"}}), "negative flags"},
      {stat_line("abc", {{9, "0x400000"}}), "hexadecimal flags"},
      {stat_line("abc", {{14, "12a"}}), "utime with a letter"},
      {stat_line("abc", {{14, "-5"}}), "negative utime"},
      {stat_line("abc", {{15, "+5"}}), "stime with a sign"},
      {stat_line("abc", {{15, "1.5"}}), "fractional stime"},
      {stat_line("abc", {{20, "many"}}), "word for num_threads"},
      {stat_line("abc", {{22, "?"}}), "non-numeric start time"},
      {stat_line("abc", {{39, "cpu3"}}), "non-numeric processor"},
      {stat_line("abc", {{14, "18446744073709551616"}}), "utime above 2^64-1"},
      {stat_line("abc", {{9, "99999999999999999999999"}}), "flags above 2^64-1"},
      {stat_line("abc", {{22, "18446744073709551616"}}), "start time above 2^64-1"},
      {stat_line("abc", {{20, "9223372036854775808"}}), "num_threads above 2^63-1"},
      {stat_line("abc", {{39, "99999999999999999999"}}), "processor above 2^63-1"},
  };
  for (const auto& row : rows) {
    INFO(row.why << ": [" << row.text << "]");
    CHECK_FALSE(parse_task_stat(row.text));
  }
  // The shortest line that carries field 39 is accepted: old kernels print fewer fields.
  const auto shortest = parse_task_stat(stat_line("abc", {{39, "3"}}, 37));
  REQUIRE(shortest);
  CHECK(shortest->processor == 3);
}

TEST_CASE("parse_task_stat accepts values up to 2^63-1", "[probe][task]") {
  const auto s = parse_task_stat(stat_line(
      "big", {{9, "9223372036854775807"}, {14, "9223372036854775807"}, {22, "9223372036854775807"}, {39, "2147483647"}}));
  REQUIRE(s);
  CHECK(s->flags == 9223372036854775807ULL);
  CHECK(s->kernel_thread());
  CHECK(s->utime_ticks == 9223372036854775807LL);
  CHECK(s->start_ticks == 9223372036854775807ULL);
  CHECK(s->processor == 2147483647);
}

TEST_CASE("parse_task_stat never turns a huge tick count or CPU number into a wrong value",
          "[probe][task]") {
  // utime and stime are unsigned in the file but long long in TaskStat: a value above
  // 2^63-1 must be refused rather than wrap to a negative tick count.
  for (const int field : {14, 15}) {
    for (const char* value : {"9223372036854775808", "18446744073709551615"}) {
      INFO("field " << field << " = " << value);
      const auto s = parse_task_stat(stat_line("big", {{field, value}}));
      if (s) {
        CHECK(s->utime_ticks >= 0);
        CHECK(s->stime_ticks >= 0);
      }
    }
  }
  // processor is an int: a value that does not fit must not wrap to another CPU.
  for (const char* value : {"4294967296", "4294967299", "2147483648"}) {
    INFO("processor = " << value);
    const auto s = parse_task_stat(stat_line("big", {{39, value}}));
    if (s) CHECK(std::to_string(s->processor) == value);
  }
}

TEST_CASE("parse_schedstat wants exactly three unsigned integers", "[probe][task]") {
  struct Row {
    const char* text;
    std::optional<Schedstat> want;
  };
  const Row rows[] = {
      {"1532096110 250000 12", Schedstat{1532096110, 250000, 12}},
      {"1532096110 250000 12\n", Schedstat{1532096110, 250000, 12}},
      {"  7\t8  9  \n", Schedstat{7, 8, 9}},
      {"0 0 0", Schedstat{0, 0, 0}},
      {"9223372036854775807 0 1", Schedstat{9223372036854775807ULL, 0, 1}},
      {"1 2", std::nullopt},
      {"1 2 3 4", std::nullopt},
      {"1", std::nullopt},
      {"", std::nullopt},
      {"\n", std::nullopt},
      {"-1 2 3", std::nullopt},
      {"1 -2 3", std::nullopt},
      {"1 2 -3", std::nullopt},
      {"+1 2 3", std::nullopt},
      {"abc def ghi", std::nullopt},
      {"1 2 3x", std::nullopt},
      {"1,2,3", std::nullopt},
      {"1\n2\n3", std::nullopt},
      {"1.5 2 3", std::nullopt},
      {"18446744073709551616 0 1", std::nullopt},
      {"0x10 2 3", std::nullopt},
  };
  for (const auto& row : rows) {
    INFO("[" << row.text << "]");
    const auto s = parse_schedstat(row.text);
    REQUIRE(s.has_value() == row.want.has_value());
    if (!s) continue;
    CHECK(s->on_cpu_ns == row.want->on_cpu_ns);
    CHECK(s->wait_ns == row.want->wait_ns);
    CHECK(s->timeslices == row.want->timeslices);
  }
}

TEST_CASE("parse_sched_migrations finds se.nr_migrations", "[probe][task]") {
  CHECK(parse_sched_migrations(sched_text(12)) == 12);
  CHECK(parse_sched_migrations(sched_text(0)) == 0);
  CHECK(parse_sched_migrations("se.nr_migrations:7") == 7);
  CHECK(parse_sched_migrations("se.nr_migrations : 7\r\n") == 7);
  CHECK(parse_sched_migrations("x : 1\n  se.nr_migrations\t:\t42  \n") == 42);
  CHECK_FALSE(parse_sched_migrations(""));
  CHECK_FALSE(parse_sched_migrations("se.exec_start : 1.0\nnr_switches : 3\n"));
  CHECK_FALSE(parse_sched_migrations("se.nr_migrations_cold : 5\n"));  // not the same name
  CHECK_FALSE(parse_sched_migrations("nr_migrations : 5\n"));
  CHECK_FALSE(parse_sched_migrations("se.nr_migrations 5\n"));  // no colon
  CHECK_FALSE(parse_sched_migrations("se.nr_migrations : -3\n"));
  CHECK_FALSE(parse_sched_migrations("se.nr_migrations : many\n"));
  CHECK_FALSE(parse_sched_migrations("se.nr_migrations : 1.5\n"));
  CHECK_FALSE(parse_sched_migrations("se.nr_migrations : 99999999999999999999\n"));
  CHECK_FALSE(parse_sched_migrations("se.nr_migrations :\n"));
  // The first line names the thread, which the thread chooses itself.
  CHECK(parse_sched_migrations("se.nr_migrati (4242, #threads: 3)\n---\nse.nr_migrations : 4\n") == 4);
}

TEST_CASE("printable replaces control characters only", "[probe][task]") {
  struct Row {
    std::string in;
    std::string out;
  };
  const Row rows[] = {
      {"python3", "python3"},
      {"", ""},
      {"\x1b[31mred", "?[31mred"},
      {"a\tb\nc\rd", "a?b?c?d"},
      {std::string("nul\0byte", 8), "nul?byte"},
      {"\x7f", "?"},
      {"\x1f\x20\x7e", "? ~"},
      {"caf\xc3\xa9", "caf\xc3\xa9"},  // UTF-8 stays
      {"\x80\xff", "\x80\xff"},        // bytes above 0x7f are left for UTF-8 repair
  };
  for (const auto& row : rows) {
    INFO("[" << row.in << "]");
    CHECK(printable(row.in) == row.out);
  }
}

TEST_CASE("format_cmdline joins arguments and stays printable UTF-8", "[probe][task]") {
  struct Row {
    std::string raw;
    size_t max_bytes;
    std::string out;
  };
  const Row rows[] = {
      {std::string("python3\0-m\0serve\0", 17), 4096, "python3 -m serve"},
      {"", 4096, ""},
      {std::string("\0\0\0", 3), 4096, ""},
      {std::string("a\0\0b\0", 5), 4096, "a  b"},  // an empty argument
      {"nginx: worker process", 4096, "nginx: worker process"},  // rewritten by the process
      {std::string("a\x1b[2Jb\0", 7), 4096, "a?[2Jb"},
      {std::string("x\ny\0", 4), 4096, "x?y"},
      {std::string("\xff\0", 2), 4096, "\xef\xbf\xbd"},
      {"abcdef", 3, "abc..."},
      {std::string("abc\0\0", 5), 3, "abc"},  // trailing NULs do not count
      {"abcd", 4, "abcd"},
      {"a", 0, "..."},
      {std::string("ab\0cd\0", 6), 3, "ab ..."},
  };
  for (const auto& row : rows) {
    INFO("[" << row.raw << "] max " << row.max_bytes);
    CHECK(format_cmdline(row.raw, row.max_bytes) == row.out);
  }
}

TEST_CASE("format_cmdline cuts long lines and never splits into invalid UTF-8", "[probe][task]") {
  const std::string long_line(5000, 'x');
  const auto out = format_cmdline(long_line);
  CHECK(out.size() == 4096 + 3);
  CHECK(out.substr(4096) == "...");

  // "é" is two bytes; a cut after its first byte must still give valid UTF-8.
  const auto cut = format_cmdline("ab\xc3\xa9zz", 3);
  CHECK(sanitize_utf8(cut) == cut);
  CHECK(cut.substr(0, 2) == "ab");
  CHECK(cut.size() >= 5);
  CHECK(cut.substr(cut.size() - 3) == "...");
  for (const char c : cut) CHECK(static_cast<unsigned char>(c) >= 0x20);
}

TEST_CASE("sample_process reads every thread of a process", "[probe][task]") {
  TempTree tree;
  REQUIRE(tree.ok());
  const FsReader fs(tree.root());
  tree.write("proc/4242/stat", stat_line("python3", {{3, "S"}, {22, "1249460"}}));
  write_task(tree, 4242, 4242,
             {stat_line("python3", {{3, "S"}, {14, "100"}, {15, "20"}, {39, "3"}}, 50, 4242),
              "1500000 250000 12\n", status_text(40, 3), sched_text(9)});
  write_task(tree, 4242, 4243,
             {stat_line("\x1b]0;evil\x07", {{3, "R"}, {14, "7"}, {15, "1"}, {39, "0"}}, 50, 4243),
              "900 10 2\n", status_text(1, 2), sched_text(0)});
  tree.mkdir("proc/4242/task/not-a-tid");
  tree.mkdir("proc/4242/task/0");

  SampleFiles files;
  const auto s = sample_process(fs, 4242, 1249460, files);
  CHECK_FALSE(s.gone);
  CHECK(s.t_s > 0);
  REQUIRE(s.threads.size() == 2);

  const auto* main = find_tid(s, 4242);
  REQUIRE(main);
  CHECK(main->name == "python3");
  CHECK(main->state == 'S');
  CHECK(main->utime_ticks == 100);
  CHECK(main->stime_ticks == 20);
  CHECK(main->processor == 3);
  REQUIRE(main->schedstat);
  CHECK(main->schedstat->on_cpu_ns == 1500000u);
  CHECK(main->schedstat->wait_ns == 250000u);
  CHECK(main->schedstat->timeslices == 12u);
  CHECK(main->voluntary_switches == 40);
  CHECK(main->involuntary_switches == 3);
  CHECK(main->migrations == 9);

  const auto* worker = find_tid(s, 4243);
  REQUIRE(worker);
  CHECK(worker->name == "?]0;evil?");  // no escape sequence reaches a terminal
  CHECK(worker->state == 'R');
  CHECK(worker->processor == 0);
  REQUIRE(worker->schedstat);
  CHECK(worker->schedstat->on_cpu_ns == 900u);
  CHECK(worker->migrations == 0);

  CHECK(files.schedstat);
  CHECK(files.sched);

  SECTION("a second sample is taken later") {
    const auto again = sample_process(fs, 4242, 1249460, files);
    CHECK(again.t_s >= s.t_s);
    CHECK(again.threads.size() == 2);
  }
}

TEST_CASE("sample_process leaves out threads that vanish mid-read", "[probe][task]") {
  TempTree tree;
  REQUIRE(tree.ok());
  const FsReader fs(tree.root());
  tree.write("proc/500/stat", stat_line("srv", {{22, "77"}}));
  write_task(tree, 500, 500, full_task("srv", 'S', 77));
  write_task(tree, 500, 501, {});  // directory listed, files already gone
  write_task(tree, 500, 502, {stat_line("srv", {{3, "R"}}), "", "", ""});  // gone after its stat
  write_task(tree, 500, 503, {"503 (srv) R 1 2", "1 2 3", status_text(1, 1), ""});  // torn stat
  write_task(tree, 500, 504, full_task("srv", 'R', 77));

  SampleFiles files;
  const auto s = sample_process(fs, 500, 77, files);
  CHECK_FALSE(s.gone);
  std::vector<int> tids;
  for (const auto& t : s.threads) tids.push_back(t.tid);
  CHECK(tids == std::vector<int>{500, 504});
}

TEST_CASE("a thread that vanishes mid-read does not switch schedstat off for the process",
          "[probe][task]") {
  // Thread 601 is listed first and exits between its stat and its schedstat: its
  // ENOENT says nothing about the kernel, so thread 602 must still get its schedstat.
  TempTree tree;
  REQUIRE(tree.ok());
  const FsReader fs(tree.root());
  tree.write("proc/600/stat", stat_line("srv", {{22, "77"}}));
  write_task(tree, 600, 601, {stat_line("srv", {{3, "R"}}), "", "", ""});
  write_task(tree, 600, 602, full_task("srv", 'R', 77));

  SampleFiles files;
  const auto s = sample_process(fs, 600, 77, files);
  REQUIRE(s.threads.size() == 1);
  CHECK(s.threads[0].tid == 602);
  CHECK(s.threads[0].schedstat.has_value());
  CHECK(s.threads[0].migrations.has_value());
  CHECK(files.schedstat);
  CHECK(files.sched);
}

TEST_CASE("sample_process without CONFIG_SCHEDSTATS or CONFIG_SCHED_DEBUG", "[probe][task]") {
  TempTree tree;
  REQUIRE(tree.ok());
  const FsReader fs(tree.root());
  tree.write("proc/700/stat", stat_line("srv", {{22, "5"}}));
  for (const int tid : {700, 701, 702}) {
    write_task(tree, 700, tid, {stat_line("srv", {{3, "R"}, {14, "11"}}), "", status_text(6, 7), ""});
  }

  SampleFiles files;
  const auto s = sample_process(fs, 700, 5, files);
  CHECK_FALSE(s.gone);
  REQUIRE(s.threads.size() == 3);
  for (const auto& t : s.threads) {
    INFO("tid " << t.tid);
    CHECK_FALSE(t.schedstat);
    CHECK_FALSE(t.migrations);
    CHECK(t.utime_ticks == 11);
    CHECK(t.voluntary_switches == 6);
    CHECK(t.involuntary_switches == 7);
  }
  CHECK_FALSE(files.schedstat);
  CHECK_FALSE(files.sched);

  SECTION("once switched off, the files are not read again") {
    write_task(tree, 700, 701, full_task("srv", 'R', 5));
    const auto again = sample_process(fs, 700, 5, files);
    const auto* t = find_tid(again, 701);
    REQUIRE(t);
    CHECK_FALSE(t->schedstat);
    CHECK_FALSE(t->migrations);
  }
}

TEST_CASE("sample_process keeps schedstat on when the file is there but malformed", "[probe][task]") {
  TempTree tree;
  REQUIRE(tree.ok());
  const FsReader fs(tree.root());
  tree.write("proc/710/stat", stat_line("srv", {{22, "5"}}));
  write_task(tree, 710, 710, {stat_line("srv"), "garbage\n", status_text(1, 1), "nothing useful\n"});
  SampleFiles files;
  const auto s = sample_process(fs, 710, 5, files);
  REQUIRE(s.threads.size() == 1);
  CHECK_FALSE(s.threads[0].schedstat);
  CHECK_FALSE(s.threads[0].migrations);
  CHECK(files.schedstat);
  CHECK(files.sched);
}

TEST_CASE("sample_process reports a process that is gone", "[probe][task]") {
  TempTree tree;
  REQUIRE(tree.ok());
  const FsReader fs(tree.root());
  struct Row {
    const char* why;
    std::string own_stat;  // "" = no stat file
    bool make_dir;
    unsigned long long start_ticks;
  };
  const Row rows[] = {
      {"the PID now belongs to a newer process", stat_line("other", {{22, "2000"}}), true, 1000},
      {"a zombie", stat_line("srv", {{3, "Z"}, {22, "1000"}}), true, 1000},
      {"dead (X)", stat_line("srv", {{3, "X"}, {22, "1000"}}), true, 1000},
      {"no process directory", "", false, 1000},
      {"a directory without stat", "", true, 1000},
      {"a malformed stat", "800 (srv) S 1", true, 1000},
  };
  int pid = 800;
  for (const auto& row : rows) {
    INFO(row.why);
    ++pid;
    const std::string dir = "proc/" + std::to_string(pid);
    if (row.make_dir) tree.mkdir(dir);
    if (!row.own_stat.empty()) tree.write(dir + "/stat", row.own_stat);
    if (row.make_dir) write_task(tree, pid, pid, full_task("srv", 'S', 1000));
    SampleFiles files;
    const auto s = sample_process(fs, pid, row.start_ticks, files);
    CHECK(s.gone);
    CHECK(s.threads.empty());
  }
}

TEST_CASE("sample_process with no readable thread is not gone while its directory exists",
          "[probe][task]") {
  TempTree tree;
  REQUIRE(tree.ok());
  const FsReader fs(tree.root());
  tree.write("proc/900/stat", stat_line("srv", {{22, "9"}}));
  SampleFiles files;
  const auto s = sample_process(fs, 900, 9, files);
  CHECK_FALSE(s.gone);
  CHECK(s.threads.empty());
}
