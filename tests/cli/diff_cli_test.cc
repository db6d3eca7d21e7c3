// `torchdiag diff` on the node-pool snapshot pair, the bench report pairs, and bad input.
#include <sys/stat.h>

#include <string>
#include <vector>

#include "cli/run_binary.h"

using torchdiag::test::run_torchdiag;
using torchdiag::test::slurp;
using torchdiag::test::TempDir;

namespace {

const std::string kRoots = TORCHDIAG_FIXTURES "/roots";
const std::string kReports = TORCHDIAG_FIXTURES "/reports";

/// The paths of the differences that matter, in the order the diff ranks them.
std::vector<std::string> ranked_paths(const nlohmann::json& diff) {
  std::vector<std::string> out;
  for (const auto& d : diff["differences"]) {
    if (d["matters"].get<bool>()) out.push_back(d["path"].get<std::string>());
  }
  return out;
}

size_t index_of(const std::vector<std::string>& v, const std::string& s) {
  return static_cast<size_t>(std::find(v.begin(), v.end(), s) - v.begin());
}

}  // namespace

TEST_CASE("diff of two node pools' snapshots: capacity first, SSBD and kernel after, exit 1", "[cli][diff]") {
  const auto r = run_torchdiag({"diff", kRoots + "/node-pool-a", kRoots + "/node-pool-b", "--format", "json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 1);
  const auto j = r.json();
  CHECK(j["schema"] == "torchdiag.diff/1");
  CHECK(j["kind"] == "inspect");
  const auto paths = ranked_paths(j);
  REQUIRE(!paths.empty());
  CHECK(paths[0] == "cpu.usable_threads");
  // The expected top differences, in rank order.
  const std::vector<std::string> expected = {"cpu.usable_threads",
                                             "cpu.quota_cpus",
                                             "cpu.online",
                                             "env.OMP_NUM_THREADS",
                                             "findings.quota-without-thread-env",
                                             "findings.speculation-mitigation-forced",
                                             "node.process.speculation_store_bypass",
                                             "node.kernel.boot_flags",
                                             "node.cpu.model",
                                             "node.cpu.frequency[0].governor",
                                             "node.kernel.release"};
  size_t last = 0;
  for (const auto& path : expected) {
    INFO(path);
    const auto at = index_of(paths, path);
    REQUIRE(at < paths.size());
    CHECK(at >= last);
    last = at;
  }
  for (const auto& d : j["differences"]) {
    if (d["path"] == "env.OMP_NUM_THREADS") {
      CHECK(d["a"] == "absent");
      CHECK(d["b"] == "4");
      CHECK(d["category"] == "threads");
    }
  }
  // Text: the same ranking, one reason per difference.
  const auto text = run_torchdiag({"diff", kRoots + "/node-pool-a", kRoots + "/node-pool-b"});
  CHECK(text.exit_code == 1);
  CHECK(text.out.find("Capacity\n  cpu.usable_threads: A 4 | B 16") != std::string::npos);
  CHECK(text.out.find("Speculation and seccomp") != std::string::npos);
  CHECK(text.out.find("CPU model and frequency") != std::string::npos);
  CHECK(text.out.find("Capacity") < text.out.find("Kernel and runtime"));
}

TEST_CASE("diff of a snapshot with itself differs in nothing: exit 0", "[cli][diff]") {
  const auto r = run_torchdiag({"diff", kRoots + "/node-pool-a", kRoots + "/node-pool-a"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("No differences.") != std::string::npos);
}

TEST_CASE("diff of an inspect report file against a snapshot of the same node", "[cli][diff]") {
  TempDir dir;
  const auto json = run_torchdiag({"inspect", "--root", kRoots + "/node-pool-b", "--format", "json", "-o", dir / "b.json"});
  REQUIRE(json.exit_code == 0);
  const auto r = run_torchdiag({"diff", dir / "b.json", kRoots + "/node-pool-b", "--format", "json"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.json()["differences_that_matter"] == 0);
}

TEST_CASE("diff of bench reports: significant and non-significant gaps, one-sided rows", "[cli][diff]") {
  const auto r = run_torchdiag({"diff", kReports + "/bench-a.json", kReports + "/bench-b.json", "--format", "json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 1);
  const auto j = r.json();
  std::map<std::string, nlohmann::json> by_key;
  for (const auto& c : j["configs"]) by_key[c["config"].get<std::string>()] = c;
  const auto& same = by_key.at("index_select threads=1 interop=default streams=1 glibc");
  CHECK(same["significant"] == false);
  CHECK(same["matters"] == false);
  const auto& slower = by_key.at("index_select threads=2 interop=default streams=1 glibc");
  CHECK(slower["significant"] == true);
  CHECK(slower["matters"] == true);
  CHECK(slower["p50_ratio"].get<double>() == Approx(1.5).epsilon(0.05));
  CHECK(slower["noise"][0].get<std::string>().find("A: spread too wide") == 0);
  const auto& small = by_key.at("forward builtin threads=1 interop=default streams=1 glibc");
  CHECK(small["significant"] == true);
  CHECK(small["matters"] == false);
  const auto& failed = by_key.at("forward builtin threads=current interop=default streams=1 glibc");
  CHECK(failed["b_status"] == "timeout");
  CHECK(failed["a_p50_s"].get<double>() == Approx(1.2e-3).epsilon(0.1));
  CHECK(failed["b_p50_s"].is_null());
  CHECK(failed["matters"] == true);
  CHECK(j["only_in_a"] == nlohmann::json{"forward builtin threads=2 interop=default streams=1 glibc"});
  CHECK(j["only_in_b"] == nlohmann::json{"index_select threads=4 interop=default streams=1 glibc"});
  CHECK(j["significance"]["method"].get<std::string>().find("Mann-Whitney U") != std::string::npos);
  const auto md = run_torchdiag({"diff", kReports + "/bench-a.json", kReports + "/bench-b.json", "--format", "markdown"});
  CHECK(md.exit_code == 1);
  CHECK(md.out.find("| configuration | A p50 | B p50 | B/A | p | verdict |") != std::string::npos);
}

TEST_CASE("diff of two runs of the same configurations: nothing that matters, exit 0", "[cli][diff]") {
  const auto r = run_torchdiag({"diff", kReports + "/bench-a.json", kReports + "/bench-a-rerun.json"});
  INFO(r.out + r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("No difference that matters") != std::string::npos);
  CHECK(r.out.find("within noise") != std::string::npos);
}

TEST_CASE("diff: bad input is one clear line and exit 2", "[cli][diff]") {
  TempDir dir;
  const auto bench = slurp(kReports + "/bench-a.json");
  dir.write("truncated.json", bench.substr(0, bench.size() / 2));
  dir.write("report.txt", "CPUs\n  online 4\n");
  dir.write("future.json", "{\"schema\": \"torchdiag.inspect/9\"}");
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);  // never opened for a blocking read
  const auto inspect = run_torchdiag({"inspect", "--root", kRoots + "/node-pool-a", "--format", "json", "-o", dir / "a.json"});
  REQUIRE(inspect.exit_code == 0);
  const struct {
    std::vector<std::string> args;
    std::string error;
  } cases[] = {
      {{dir / "truncated.json", kReports + "/bench-b.json"}, "not JSON (truncated"},
      {{dir / "report.txt", kReports + "/bench-b.json"}, "A '" + dir / "report.txt" + "': not JSON"},
      {{dir / "a.json", kReports + "/bench-b.json"}, "A is an inspect report and B a bench report"},
      {{dir / "a.json", dir / "future.json"}, "schema 'torchdiag.inspect/9' is not one this torchdiag reads"},
      {{dir / "missing.json", dir / "a.json"}, "No such file or directory"},
      {{"/dev/null", dir / "a.json"}, "not a regular file"},
      {{dir / "fifo", dir / "a.json"}, "not a regular file"},
      {{dir.path.string(), dir / "a.json"}, "a directory but not a snapshot"},
      {{dir / "a.json", dir / "a.json", "--format", "csv"}, "--format 'csv'"},
      {{dir / "a.json", dir / "a.json", "--alpha", "nan"}, "--alpha"},
      {{dir / "a.json", dir / "a.json", "--min-effect", "-1"}, "--min-effect"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"diff"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto r = run_torchdiag(args);
    INFO(c.error << "\n" << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find(c.error) != std::string::npos);
    // One line of error (an option error adds the usual "Run 'torchdiag --help'" hint).
    const auto hint = r.err.find("Run 'torchdiag --help' for usage.\n");
    const auto error_line = hint == std::string::npos ? r.err : r.err.substr(0, hint);
    CHECK(std::count(error_line.begin(), error_line.end(), '\n') == 1);
  }
}

TEST_CASE("diff of two watch reports: processes matched by command, verdict and env compared", "[cli][diff]") {
  TempDir dir;
  const auto watch = [](int pid, const char* verdict, const char* omp, int usable) {
    return nlohmann::json{{"schema", "torchdiag.watch/1"},
                          {"processes",
                           {{{"pid", pid},
                             {"comm", "python3"},
                             {"usable_threads", usable},
                             {"verdict", verdict},
                             {"runnable_threads_mean", 3.7},
                             {"env", {{"OMP_NUM_THREADS", omp}}}}}},
                          {"cgroups", nlohmann::json::array()},
                          {"findings", nlohmann::json::array()}}
        .dump();
  };
  dir.write("a.json", watch(100, "oversubscribed", "8", 1));
  dir.write("b.json", watch(200, "ok", "1", 1));
  const auto r = run_torchdiag({"diff", dir / "a.json", dir / "b.json", "--format", "json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 1);
  const auto j = r.json();
  CHECK(j["kind"] == "watch");
  std::vector<std::string> paths = ranked_paths(j);
  CHECK(paths == std::vector<std::string>{"processes[python3].env.OMP_NUM_THREADS", "processes[python3].verdict"});
  dir.write("c.json", watch(300, "oversubscribed", "8", 1));
  CHECK(run_torchdiag({"diff", dir / "a.json", dir / "c.json"}).exit_code == 0);  // only the pid differs
}
