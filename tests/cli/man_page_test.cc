// The man page documents every subcommand and every long option that --help prints.
// The lists come from the real binary, so a new option without a man page entry fails
// here. "Documented" means: the option is in the tag of a .TP/.TQ/.IP entry of its
// subcommand's ".SS <name>" section (or, for options every command has, such as --help,
// in the ".SS Options of every command" section); a mention in EXAMPLES is not enough.
// TORCHDIAG_TEST_MAN_PAGE may point at another page (to see this test fail on a copy
// with an entry removed).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sys/subprocess.h"

namespace {

/// Heading of the man page section that documents options every command accepts.
const std::string kCommonSection = "Options of every command";

std::string run_help(const std::vector<std::string>& args) {
  torchdiag::SpawnOptions o;
  o.argv = {TORCHDIAG_BINARY};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = torchdiag::current_environment();
  o.timeout_s = 30;
  const auto r = torchdiag::run_process(o);
  INFO("torchdiag " << (args.empty() ? "" : args.front()) << " --help: " << r.describe() << "\n"
                    << r.stderr_text);
  REQUIRE(r.ok());
  return r.stdout_text;
}

bool starts_with_ci(const std::string& line, const std::string& prefix) {
  if (line.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != prefix[i]) return false;
  }
  return true;
}

/// Names listed under "Subcommands:" (CLI11 2.1) or "SUBCOMMANDS:" (CLI11 2.3+): each
/// entry line is indented by two spaces; wrapped descriptions are indented further.
std::vector<std::string> subcommands(const std::string& help) {
  static const std::regex entry(R"(^  ([a-z][a-z0-9-]*)(\s.*)?$)");
  std::vector<std::string> names;
  std::istringstream in(help);
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (starts_with_ci(line, "subcommands:")) {
      in_section = true;
      continue;
    }
    if (!in_section) continue;
    if (line.empty() || !std::isspace(static_cast<unsigned char>(line[0]))) break;
    std::smatch m;
    if (std::regex_match(line, m, entry)) names.push_back(m[1]);
  }
  return names;
}

/// Long options defined in a CLI11 help text: the first column of the option lines
/// ("  -o,--output TEXT  ..."); options named in descriptions are not definitions.
std::set<std::string> long_options(const std::string& help) {
  static const std::regex option_line(R"(^  (-[^ ]*).*$)");
  std::set<std::string> out;
  std::istringstream in(help);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, option_line)) continue;
    std::istringstream names(m[1]);
    for (std::string name; std::getline(names, name, ',');) {
      if (name.rfind("--", 0) == 0 && name.size() > 2) out.insert(name);
    }
  }
  return out;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
}

/// Roff text as a reader sees the words: "\-" is a dash, font changes ("\fB", "\fR",
/// "\f(CW", "\f[B]") and the zero-width escapes "\&" and "\%" are dropped.
std::string roff_words(std::string text) {
  replace_all(text, "\\-", "-");
  replace_all(text, "\\&", "");
  replace_all(text, "\\%", "");
  static const std::regex font(R"(\\f(\(..|\[[^\]]*\]|.))");
  return std::regex_replace(text, font, "");
}

std::string unquote(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '"'), s.end());
  return s;
}

/// The tags of the .TP/.TQ entries (the line after the request) and of .IP entries (its
/// argument), in words, grouped by the .SS section they belong to ("" before any .SS).
std::map<std::string, std::string> entry_tags_by_section(const std::string& roff) {
  std::map<std::string, std::string> tags;
  std::istringstream in(roff);
  std::string line, section;
  bool next_is_tag = false;
  while (std::getline(in, line)) {
    if (next_is_tag) tags[section] += roff_words(line) + "\n";
    next_is_tag = line == ".TP" || line.rfind(".TP ", 0) == 0 || line == ".TQ";
    if (line.rfind(".SH", 0) == 0) section.clear();
    if (line.rfind(".SS ", 0) == 0) section = unquote(line.substr(4));
    if (line.rfind(".IP ", 0) == 0) tags[section] += roff_words(line.substr(4)) + "\n";
  }
  return tags;
}

std::string man_page_text() {
  const char* override_path = std::getenv("TORCHDIAG_TEST_MAN_PAGE");
  const std::string path =
      override_path && *override_path ? override_path : TORCHDIAG_SOURCE_DIR "/man/torchdiag.1";
  std::ifstream f(path);
  INFO("man page: " << path);
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::map<std::string, std::string> man_page_entry_tags() { return entry_tags_by_section(man_page_text()); }

/// The lines of one ".SH NAME" section, up to the next .SH.
std::string sh_section(const std::string& roff, const std::string& name) {
  const auto start = roff.find("\n.SH " + name + "\n");
  if (start == std::string::npos) return "";
  const auto body = start + name.size() + 6;
  const auto end = roff.find("\n.SH ", body);
  return roff.substr(body, end == std::string::npos ? std::string::npos : end - body);
}

/// The exit status of torchdiag run with `args` (output discarded).
int exit_status(const std::vector<std::string>& args) {
  torchdiag::SpawnOptions o;
  o.argv = {TORCHDIAG_BINARY};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = torchdiag::current_environment();
  o.timeout_s = 60;
  return torchdiag::run_process(o).exit_code;
}

bool is_option_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }

/// True when `word` occurs as a whole token (not as part of a longer option).
bool mentions(const std::string& text, const std::string& word) {
  for (size_t pos = text.find(word); pos != std::string::npos; pos = text.find(word, pos + 1)) {
    const bool clean_start = pos == 0 || !is_option_char(text[pos - 1]);
    const size_t end = pos + word.size();
    const bool clean_end = end == text.size() || !is_option_char(text[end]);
    if (clean_start && clean_end) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("man page documents every subcommand and long option in --help", "[man]") {
  auto tags = man_page_entry_tags();
  const auto top = run_help({"--help"});
  const auto names = subcommands(top);
  INFO("top-level help:\n" << top);
  REQUIRE(std::find(names.begin(), names.end(), "inspect") != names.end());

  const auto& common = tags[kCommonSection];
  std::vector<std::string> missing;
  for (const auto& opt : long_options(top)) {
    if (!mentions(common, opt)) missing.push_back("torchdiag " + opt);
  }
  for (const auto& name : names) {
    if (!tags.count(name)) missing.push_back("section '.SS " + name + "' with its options");
    const auto options = long_options(run_help({name, "--help"}));
    CHECK(options.count("--help") == 1);
    for (const auto& opt : options) {
      if (!mentions(tags[name], opt) && !mentions(common, opt)) {
        missing.push_back("torchdiag " + name + " " + opt);
      }
    }
  }
  std::string list;
  for (const auto& m : missing) list += "\n  " + m;
  INFO("not documented in the man page (as a .TP entry of the command's .SS section):" << list);
  CHECK(missing.empty());
}

TEST_CASE("man page: SYNOPSIS names every subcommand, EXIT STATUS every status torchdiag exits with", "[man]") {
  const auto roff = man_page_text();
  const auto synopsis = roff_words(sh_section(roff, "SYNOPSIS"));
  REQUIRE_FALSE(synopsis.empty());
  for (const auto& name : subcommands(run_help({"--help"}))) {
    INFO("torchdiag " << name);
    CHECK(mentions(synopsis, "torchdiag " + name));
  }
  // The statuses come from the binary itself: one run for each way it can end.
  const std::string roots = TORCHDIAG_FIXTURES "/roots";
  const std::vector<std::vector<std::string>> runs = {
      {"inspect", "--no-torch", "-o", "/dev/null"},                                     // success
      {"inspect", "--no-torch", "-o", "/dev/full"},                                     // a write that fails
      {"inspect", "--no-such-option"},                                                  // usage
      {"inspect", "--root", roots + "/node-pool-a", "--check", "-o", "/dev/null"},      // findings
      {"recommend", "--exec", "--", "/"},                                               // found, cannot run
      {"recommend", "--exec", "--", "/nonexistent/torchdiag-man-page-test"},            // not found
  };
  std::set<int> statuses;
  for (const auto& args : runs) statuses.insert(exit_status(args));
  CHECK(statuses.size() == runs.size());  // each run ends another way
  const auto exit_tags = entry_tags_by_section(sh_section(roff, "EXIT STATUS"))[""];
  for (const int status : statuses) {
    INFO("exit status " << status);
    CHECK(mentions(exit_tags, std::to_string(status)));
  }
}

TEST_CASE("man page option scan reads roff the way a reader does", "[man]") {
  CHECK(mentions(roff_words(".BR \\fB\\-\\-no\\-torch\\fR ,"), "--no-torch"));
  CHECK(mentions(roff_words("\\f[B]\\-\\-root\\f[] DIR"), "--root"));
  CHECK(mentions(roff_words("\\f(CW\\%\\-\\-check\\fP"), "--check"));
  CHECK_FALSE(mentions(".B --no-torch-x", "--no-torch"));
  CHECK_FALSE(mentions(".B ---root", "--root"));

  const auto tags = entry_tags_by_section(
      ".SH COMMANDS\n.SS inspect\nUse \\-\\-pid here.\n.TP\n.BI \\-\\-root \" DIR\"\nText.\n"
      ".IP \"\\-\\-check\" 4\n.SS \"Options of every command\"\n.TP\n.B \\-\\-help\n");
  CHECK(mentions(tags.at("inspect"), "--root"));
  CHECK(mentions(tags.at("inspect"), "--check"));
  CHECK_FALSE(mentions(tags.at("inspect"), "--pid"));  // prose only, not an entry
  CHECK(mentions(tags.at(kCommonSection), "--help"));

  CHECK(subcommands("Usage: x\n\nSUBCOMMANDS:\n  inspect   Report\n      wrapped\n  snapshot  S\n\n") ==
        std::vector<std::string>{"inspect", "snapshot"});
  CHECK(long_options("Options:\n  -h,--help  Help\n  -o,--output TEXT  Write, see --root\n"
                     "  --engine-threads INT:INT in [1 - 4096]\n        --wrapped text\n") ==
        std::set<std::string>{"--engine-threads", "--help", "--output"});
}
