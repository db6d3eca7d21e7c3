// Per-thread scheduling files (src/probe/task_files.h) on arbitrary text:
// parse_task_stat, parse_schedstat, parse_sched_migrations, printable, format_cmdline,
// and sample_process reading the input as every file of one thread. The files are
// symbolic links to one input file under a private temporary root made once per
// process (see temp_template), so each input costs one write.
//
// The first input byte is also used as format_cmdline's max_bytes.
#include <stdlib.h>

#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "probe/task_files.h"
#include "sys/fs_reader.h"
#include "util/strings.h"

using torchdiag::fuzz::check;
namespace stdfs = std::filesystem;

namespace {

constexpr int kPid = 7;
std::string g_root;  // removed at exit (a crash leaves it behind)

void remove_root() { stdfs::remove_all(g_root); }

bool is_valid_utf8(const std::string& s) { return torchdiag::sanitize_utf8(s) == s; }

bool has_control_byte(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

/// A well-formed stat line around `comm`: whatever the comm holds, it comes back.
std::string stat_around(std::string_view comm) {
  std::string line = "4242 (";
  line.append(comm);
  line += ") S 1 1 1 0 -1 4194304 0 0 0 0 5 6 0 0 20 0 3 0 777 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 "
          "0 0 17 2 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
  return line;
}

void check_stat(std::string_view text) {
  const auto s = torchdiag::parse_task_stat(text);
  if (s) {
    const auto open = text.find('(');
    const auto close = text.rfind(')');
    check(open != std::string_view::npos && close != std::string_view::npos && open < close,
          "a parsed stat line has a (comm)");
    check(s->comm == text.substr(open + 1, close - open - 1), "the comm lies between the first '(' and the last ')'");
    check(s->state != ' ' && s->state != '\t' && s->state != '\n' && s->state != '\r' && s->state != '\f' &&
              s->state != '\v',
          "the state is not whitespace");
    check(s->utime_ticks >= 0 && s->stime_ticks >= 0, "tick counts are non-negative");
    check(s->processor >= 0, "the processor is non-negative");
    check(s->kernel_thread() == ((s->flags & 0x00200000ULL) != 0), "kernel_thread follows PF_KTHREAD");
  }
  // Any bytes as a comm (prctl PR_SET_NAME allows them) survive a well-formed line.
  const auto around = torchdiag::parse_task_stat(stat_around(text));
  check(around.has_value(), "a well-formed line parses whatever its comm");
  check(around->comm == text, "the comm comes back byte for byte");
  check(around->state == 'S' && around->utime_ticks == 5 && around->stime_ticks == 6 && around->num_threads == 3 &&
            around->start_ticks == 777 && around->processor == 2,
        "the fields after a hostile comm are read from the right place");
}

void check_schedstat(std::string_view text) {
  const auto s = torchdiag::parse_schedstat(text);
  if (!s) return;
  char again[96];
  std::snprintf(again, sizeof again, "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", s->on_cpu_ns, s->wait_ns,
                s->timeslices);
  const auto round = torchdiag::parse_schedstat(again);
  check(round.has_value(), "a parsed schedstat prints and parses again");
  check(round->on_cpu_ns == s->on_cpu_ns && round->wait_ns == s->wait_ns && round->timeslices == s->timeslices,
        "schedstat round-trips");
}

void check_migrations(std::string_view text) {
  const auto m = torchdiag::parse_sched_migrations(text);
  if (!m) return;
  check(*m >= 0, "migrations are non-negative");
  check(text.find("se.nr_migrations") != std::string_view::npos, "migrations come from their line");
}

void check_printable(std::string_view text) {
  const auto p = torchdiag::printable(text);
  check(p.size() == text.size(), "printable keeps the length");
  check(!has_control_byte(p), "printable leaves no control byte");
  for (size_t i = 0; i < p.size(); ++i) {
    check(p[i] == text[i] || p[i] == '?', "printable only replaces bytes with '?'");
  }
}

void check_cmdline(std::string_view raw, size_t max_bytes) {
  const auto out = torchdiag::format_cmdline(raw, max_bytes);
  check(is_valid_utf8(out), "a command line is valid UTF-8");
  check(!has_control_byte(out), "a command line has no control byte");
  auto stripped = raw;
  while (!stripped.empty() && stripped.back() == '\0') stripped.remove_suffix(1);
  const size_t kept = std::min(stripped.size(), max_bytes);
  // Each kept byte becomes at most U+FFFD (3 bytes); "..." marks a cut.
  check(out.size() <= 3 * kept + 3, "a command line is at most 3 x max_bytes + 3 bytes");
  if (stripped.size() > max_bytes) {
    check(out.size() >= 3 && out.compare(out.size() - 3, 3, "...") == 0, "a cut command line ends with ...");
  } else if (is_valid_utf8(std::string(stripped)) && !has_control_byte(stripped)) {
    check(out == stripped, "a short printable line without NULs is kept as it is");
  }
}

void check_sample(std::string_view text) {
  {
    std::ofstream out(g_root + "/input", std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  const auto own = torchdiag::parse_task_stat(text);
  const torchdiag::FsReader fs(g_root);
  torchdiag::SampleFiles files;
  const auto s = torchdiag::sample_process(fs, kPid, own ? own->start_ticks : 0, files);
  if (!own || own->state == 'Z' || own->state == 'X') {
    check(s.gone && s.threads.empty(), "a process without a usable stat is gone");
    return;
  }
  check(!s.gone, "a process with a stat and a directory is not gone");
  check(s.threads.size() == 1, "the one thread is sampled");
  const auto& t = s.threads[0];
  check(t.tid == kPid, "the thread's id is its directory's name");
  check(t.name == torchdiag::printable(own->comm), "the thread's name is its printable comm");
  check(!has_control_byte(t.name), "a thread name has no control byte");
  check(t.state == own->state && t.utime_ticks == own->utime_ticks && t.processor == own->processor,
        "the thread's figures come from its stat");
  check(t.voluntary_switches >= 0 && t.involuntary_switches >= 0, "switch counts are non-negative");
  const auto schedstat = torchdiag::parse_schedstat(text);
  check(t.schedstat.has_value() == schedstat.has_value(), "schedstat is read when the file is there");
  check(t.migrations == torchdiag::parse_sched_migrations(text), "migrations are read when the file is there");
  check(files.schedstat && files.sched, "files that exist are never switched off");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string templ = torchdiag::fuzz::temp_template("torchdiag-fuzz-task-files");
  check(mkdtemp(templ.data()) != nullptr, "mkdtemp succeeds");
  g_root = templ;
  const std::string proc = g_root + "/proc/" + std::to_string(kPid);
  const std::string task = proc + "/task/" + std::to_string(kPid);
  stdfs::create_directories(task);
  std::ofstream(g_root + "/input").put('\n');
  // Absolute targets resolve from the reader's root, as in a chroot.
  stdfs::create_symlink("/input", proc + "/stat");
  for (const char* name : {"stat", "schedstat", "status", "sched"}) stdfs::create_symlink("/input", task + "/" + name);
  std::atexit(remove_root);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = torchdiag::fuzz::as_text(data, size);
  check_stat(text);
  check_schedstat(text);
  check_migrations(text);
  check_printable(text);
  check_cmdline(text, size > 0 ? data[0] : 0);
  check_cmdline(text, 4096);
  check_sample(text);
  return 0;
}
