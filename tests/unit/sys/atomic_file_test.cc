// Replacing DIR/NAME so that a reader (node_exporter's textfile collector) never sees a
// part of it: a temporary file renamed over the target, mode 0644 whatever the umask,
// nothing left behind, links at the target replaced rather than followed.
#include <catch2/catch.hpp>

#include <grp.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sys/atomic_file.h"
#include "unit/probe/temp_tree.h"

using namespace torchdiag;
using torchdiag::testing::TempTree;
namespace fs = std::filesystem;

namespace {

constexpr const char* kName = "torchdiag.prom";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The names in `dir`, hidden ones included.
std::set<std::string> entries(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// Sets the umask for the life of the object.
class Umask {
 public:
  explicit Umask(mode_t mask) : old_(::umask(mask)) {}
  ~Umask() { ::umask(old_); }
  Umask(const Umask&) = delete;
  Umask& operator=(const Umask&) = delete;

 private:
  mode_t old_;
};

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("write_file_atomically writes a new file and replaces it", "[sys][atomic]") {
  TempTree t;
  REQUIRE(t.ok());
  CHECK(write_file_atomically(t.root(), kName, "first\n") == "");
  CHECK(slurp(t.root() + "/" + kName) == "first\n");
  CHECK(write_file_atomically(t.root(), kName, "second, longer than the first\n") == "");
  CHECK(slurp(t.root() + "/" + kName) == "second, longer than the first\n");
  CHECK(write_file_atomically(t.root(), kName, "3\n") == "");
  CHECK(slurp(t.root() + "/" + kName) == "3\n");
  CHECK(write_file_atomically(t.root(), kName, "") == "");
  CHECK(fs::file_size(t.root() + "/" + kName) == 0);
  std::string big(3 * 1024 * 1024 + 7, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  CHECK(write_file_atomically(t.root(), kName, big) == "");
  CHECK(slurp(t.root() + "/" + kName) == big);
  CHECK(entries(t.root()) == std::set<std::string>{kName});
}

TEST_CASE("write_file_atomically gives mode 0644 despite a umask of 077", "[sys][atomic]") {
  TempTree t;
  REQUIRE(t.ok());
  const Umask mask(077);
  SECTION("a new file") {
    CHECK(write_file_atomically(t.root(), kName, "x\n") == "");
    CHECK(mode_of(t.root() + "/" + kName) == 0644);
  }
  SECTION("replacing a file of mode 0600") {
    t.write(kName, "old\n");
    REQUIRE(::chmod((t.root() + "/" + kName).c_str(), 0600) == 0);
    CHECK(write_file_atomically(t.root(), kName, "new\n") == "");
    CHECK(mode_of(t.root() + "/" + kName) == 0644);
    CHECK(slurp(t.root() + "/" + kName) == "new\n");
  }
}

TEST_CASE("write_file_atomically writes a hidden temporary file and renames it, never the target in place",
          "[sys][atomic]") {
  TempTree t;
  REQUIRE(t.ok());
  t.write(kName, "old\n");
  const int in = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  REQUIRE(in >= 0);
  REQUIRE(::inotify_add_watch(in, t.root().c_str(), IN_CREATE | IN_MODIFY | IN_MOVED_TO | IN_OPEN) >= 0);
  CHECK(write_file_atomically(t.root(), kName, "new\n") == "");
  std::vector<std::pair<uint32_t, std::string>> events;
  alignas(inotify_event) char buf[64 * 1024];
  for (ssize_t n; (n = ::read(in, buf, sizeof buf)) > 0;) {
    for (char* at = buf; at < buf + n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(at);
      events.emplace_back(e->mask, e->len ? std::string(e->name) : std::string());
      at += sizeof(inotify_event) + e->len;
    }
  }
  ::close(in);
  std::string created, moved;
  for (const auto& [mask, name] : events) {
    INFO(mask << " " << name);
    if (mask & IN_CREATE) created = name;
    if (mask & IN_MOVED_TO) moved = name;
    if (name == kName) CHECK((mask & (IN_CREATE | IN_MODIFY | IN_OPEN)) == 0);  // only renamed onto
  }
  CHECK(moved == kName);
  REQUIRE_FALSE(created.empty());
  CHECK(created != kName);
  CHECK(created[0] == '.');  // hidden
  CHECK(created.size() >= 5);
  CHECK(created.compare(created.size() - 5, 5, ".prom") != 0);  // the collector reads only *.prom
  CHECK(slurp(t.root() + "/" + kName) == "new\n");
  CHECK(entries(t.root()) == std::set<std::string>{kName});
}

TEST_CASE("write_file_atomically replaces a symbolic link at the target instead of following it",
          "[sys][atomic]") {
  TempTree t, elsewhere;
  REQUIRE(t.ok());
  REQUIRE(elsewhere.ok());
  const auto link = t.root() + "/" + kName;
  SECTION("a link to an existing file") {
    elsewhere.write("victim", "untouched\n");
    const auto victim = elsewhere.root() + "/victim";
    REQUIRE(::chmod(victim.c_str(), 0600) == 0);
    fs::create_symlink(victim, link);
    CHECK(write_file_atomically(t.root(), kName, "metrics\n") == "");
    CHECK(slurp(victim) == "untouched\n");
    CHECK(mode_of(victim) == 0600);
    CHECK(fs::is_regular_file(fs::symlink_status(link)));
    CHECK(slurp(link) == "metrics\n");
  }
  SECTION("a dangling link") {
    const auto target = elsewhere.root() + "/created-through-the-link";
    fs::create_symlink(target, link);
    CHECK(write_file_atomically(t.root(), kName, "metrics\n") == "");
    CHECK_FALSE(fs::exists(fs::symlink_status(target)));
    CHECK(fs::is_regular_file(fs::symlink_status(link)));
    CHECK(slurp(link) == "metrics\n");
  }
  SECTION("a link to a directory") {
    elsewhere.mkdir("d");
    fs::create_symlink(elsewhere.root() + "/d", link);
    CHECK(write_file_atomically(t.root(), kName, "metrics\n") == "");
    CHECK(fs::is_empty(elsewhere.root() + "/d"));
    CHECK(fs::is_regular_file(fs::symlink_status(link)));
  }
  CHECK(entries(t.root()) == std::set<std::string>{kName});
}

TEST_CASE("write_file_atomically names the directory when it cannot write there", "[sys][atomic]") {
  TempTree t;
  REQUIRE(t.ok());
  SECTION("a directory that does not exist") {
    const auto dir = t.root() + "/missing";
    const auto why = write_file_atomically(dir, kName, "x\n");
    INFO(why);
    CHECK(contains(why, dir));
    CHECK(contains(why, "No such file or directory"));
    CHECK_FALSE(fs::exists(dir));
  }
  SECTION("a regular file where the directory should be") {
    t.write("file", "not a directory\n");
    const auto dir = t.root() + "/file";
    const auto why = write_file_atomically(dir, kName, "x\n");
    INFO(why);
    CHECK(contains(why, dir));
    CHECK(contains(why, "Not a directory"));
    CHECK(slurp(dir) == "not a directory\n");
  }
  SECTION("a directory this user may not write") {
    const auto dir = t.root() + "/locked";
    t.mkdir("locked");
    REQUIRE(::chmod(t.root().c_str(), 0755) == 0);
    REQUIRE(::chmod(dir.c_str(), 0755) == 0);
    std::string why;
    if (::geteuid() == 0) {
      // Root writes anywhere: try as nobody in a child.
      int fds[2];
      REQUIRE(::pipe(fds) == 0);
      const pid_t pid = ::fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        ::close(fds[0]);
        if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
        const auto r = write_file_atomically(dir, kName, "x\n");
        const bool sent = ::write(fds[1], r.data(), r.size()) == static_cast<ssize_t>(r.size());
        ::_exit(sent ? 0 : 3);
      }
      ::close(fds[1]);
      char buf[4096];
      for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) why.append(buf, static_cast<size_t>(n));
      ::close(fds[0]);
      int status = 0;
      REQUIRE(::waitpid(pid, &status, 0) == pid);
      REQUIRE(WIFEXITED(status));
      REQUIRE(WEXITSTATUS(status) == 0);
    } else {
      REQUIRE(::chmod(dir.c_str(), 0555) == 0);
      why = write_file_atomically(dir, kName, "x\n");
      ::chmod(dir.c_str(), 0755);
    }
    INFO(why);
    CHECK(contains(why, dir));
    CHECK(contains(why, "Permission denied"));
    CHECK(entries(dir).empty());
  }
}

TEST_CASE("write_file_atomically leaves no temporary file behind when the rename fails", "[sys][atomic]") {
  TempTree t;
  REQUIRE(t.ok());
  // A non-empty directory at the target name: the file cannot be renamed over it.
  t.write(std::string(kName) + "/keep", "kept\n");
  const auto why = write_file_atomically(t.root(), kName, "x\n");
  INFO(why);
  CHECK_FALSE(why.empty());
  CHECK(contains(why, t.root()));
  CHECK(entries(t.root()) == std::set<std::string>{kName});
  CHECK(slurp(t.root() + "/" + kName + "/keep") == "kept\n");
  // And a later write, once the name is free, works and leaves nothing else.
  fs::remove_all(t.root() + "/" + kName);
  CHECK(write_file_atomically(t.root(), kName, "y\n") == "");
  CHECK(entries(t.root()) == std::set<std::string>{kName});
}
