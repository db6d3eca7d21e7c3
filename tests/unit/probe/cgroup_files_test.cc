#include "probe/cgroup_files.h"

#include <catch2/catch.hpp>

using namespace torchdiag;

TEST_CASE("parse_cpu_max reads every form of cpu.max", "[probe][cgroup]") {
  struct Row {
    const char* text;
    bool ok;
    bool limited;
    long long quota_us;
    long long period_us;
  };
  const Row rows[] = {
      {"max 100000\n", true, false, 0, 100000},
      {"max\n", true, false, 0, 0},
      {"max", true, false, 0, 0},
      {"50000 100000\n", true, true, 50000, 100000},
      {"150000 100000", true, true, 150000, 100000},
      {"  200000\t100000  \n", true, true, 200000, 100000},
      {"1 1000", true, true, 1, 1000},
      {"", false, false, 0, 0},
      {"\n", false, false, 0, 0},
      {"abc", false, false, 0, 0},
      {"abc def", false, false, 0, 0},
      {"0 100000", false, false, 0, 0},
      {"100000 0", false, false, 0, 0},
      {"-5 100000", false, false, 0, 0},
      {"100000 -1", false, false, 0, 0},
      {"100000 100000 5", false, false, 0, 0},
      {"max 100000 extra", false, false, 0, 0},
      {"100000", false, false, 0, 0},
      {"1.5 100000", false, false, 0, 0},
      {"max abc", false, false, 0, 0},
  };
  for (const auto& row : rows) {
    INFO("cpu.max: '" << row.text << "'");
    const auto parsed = parse_cpu_max(row.text);
    CHECK(parsed.ok() == row.ok);
    if (row.ok) {
      CHECK(parsed.quota.limited == row.limited);
      CHECK(parsed.quota.quota_us == row.quota_us);
      CHECK(parsed.quota.period_us == row.period_us);
    } else {
      CHECK_FALSE(parsed.error.empty());
      CHECK_FALSE(parsed.quota.limited);
    }
  }
}

TEST_CASE("cpu.max quotas convert to CPUs as quota / period", "[probe][cgroup]") {
  CHECK(parse_cpu_max("150000 100000").quota.cpus() == Approx(1.5));
  CHECK(parse_cpu_max("50000 100000").quota.cpus() == Approx(0.5));
  CHECK(parse_cpu_max("200000 100000").quota.cpus() == Approx(2.0));
  CHECK(parse_cpu_max("75000 50000").quota.cpus() == Approx(1.5));
  CHECK(parse_cpu_max("1600000 100000").quota.cpus() == Approx(16.0));
}

TEST_CASE("parse_cpu_max errors say what is wrong", "[probe][cgroup]") {
  CHECK(parse_cpu_max("").error == "empty file");
  CHECK(parse_cpu_max("100000 0").error.find("period") != std::string::npos);
  CHECK(parse_cpu_max("0 100000").error.find("quota") != std::string::npos);
  CHECK(parse_cpu_max("abc").error.find("quota") != std::string::npos);
}

TEST_CASE("parse_cfs_quota reads the v1 quota and period pair", "[probe][cgroup]") {
  struct Row {
    const char* quota;
    const char* period;
    bool ok;
    bool limited;
    double cpus;
  };
  const Row rows[] = {
      {"-1\n", "100000\n", true, false, 0},
      {"-1", "", true, false, 0},  // no limit: the period does not matter
      {"200000\n", "100000\n", true, true, 2.0},
      {"150000", "100000", true, true, 1.5},
      {"75000\n", "50000\n", true, true, 1.5},
      {"50000", "100000", true, true, 0.5},
      {"0\n", "100000\n", false, false, 0},
      {"", "100000", false, false, 0},
      {"\n", "100000", false, false, 0},
      {"abc", "100000", false, false, 0},
      {"100000", "", false, false, 0},  // period file missing
      {"100000", "abc", false, false, 0},
      {"100000", "0", false, false, 0},
      {"100000", "-100000", false, false, 0},
  };
  for (const auto& row : rows) {
    INFO("quota '" << row.quota << "' period '" << row.period << "'");
    const auto parsed = parse_cfs_quota(row.quota, row.period);
    CHECK(parsed.ok() == row.ok);
    CHECK(parsed.quota.limited == row.limited);
    if (row.limited) CHECK(parsed.quota.cpus() == Approx(row.cpus));
    if (!row.ok) CHECK_FALSE(parsed.error.empty());
  }
}

TEST_CASE("parse_cpu_stat reads v1 and v2 throttling counters", "[probe][cgroup]") {
  SECTION("v1: throttled_time is in nanoseconds") {
    const auto stat =
        parse_cpu_stat("nr_periods 1500\nnr_throttled 1320\nthrottled_time 98765432100\n");
    REQUIRE(stat.has_value());
    CHECK(stat->nr_periods == 1500);
    CHECK(stat->nr_throttled == 1320);
    CHECK(stat->throttled_s == Approx(98.7654321));
    CHECK(stat->throttled_fraction() == Approx(0.88));
  }
  SECTION("v2: throttled_usec is in microseconds, other keys are ignored") {
    const auto stat = parse_cpu_stat(
        "usage_usec 8412235119\nuser_usec 7904118311\nsystem_usec 508116808\n"
        "core_sched.force_idle_usec 0\nnr_periods 5000\nnr_throttled 250\n"
        "throttled_usec 1200000\nnr_bursts 0\nburst_usec 0\n");
    REQUIRE(stat.has_value());
    CHECK(stat->nr_periods == 5000);
    CHECK(stat->nr_throttled == 250);
    CHECK(stat->throttled_s == Approx(1.2));
    CHECK(stat->throttled_fraction() == Approx(0.05));
  }
  SECTION("newer v1 kernels add wait_sum and burst counters") {
    const auto stat = parse_cpu_stat(
        "nr_periods 10\nnr_throttled 2\nthrottled_time 3000000000\nnr_bursts 0\nburst_time 0\n"
        "wait_sum 123\n");
    REQUIRE(stat.has_value());
    CHECK(stat->throttled_s == Approx(3.0));
  }
  SECTION("zero periods give a zero fraction, not a division by zero") {
    const auto stat = parse_cpu_stat("nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n");
    REQUIRE(stat.has_value());
    CHECK(stat->throttled_fraction() == 0.0);
  }
  SECTION("missing keys make the file unusable") {
    // v2 without the cpu controller enabled: usage only.
    CHECK_FALSE(parse_cpu_stat("usage_usec 99\nuser_usec 90\nsystem_usec 9\n"));
    CHECK_FALSE(parse_cpu_stat("nr_periods 10\nthrottled_time 5\n"));
    CHECK_FALSE(parse_cpu_stat("nr_throttled 10\n"));
    CHECK_FALSE(parse_cpu_stat(""));
    CHECK_FALSE(parse_cpu_stat("nr_periods x\nnr_throttled 1\n"));
  }
  SECTION("throttled time is optional") {
    const auto stat = parse_cpu_stat("nr_periods 10\nnr_throttled 1\n");
    REQUIRE(stat.has_value());
    CHECK(stat->throttled_s == 0.0);
  }
}

TEST_CASE("parse_pressure reads the some line of PSI files", "[probe][cgroup]") {
  SECTION("cpu.pressure with a full line") {
    const auto p = parse_pressure(
        "some avg10=1.25 avg60=0.80 avg300=0.31 total=91823341\n"
        "full avg10=9.00 avg60=9.00 avg300=9.00 total=1\n");
    REQUIRE(p.has_value());
    CHECK(p->some_avg10 == Approx(1.25));
    CHECK(p->some_avg60 == Approx(0.80));
    CHECK(p->some_avg300 == Approx(0.31));
    CHECK(p->some_total_us == 91823341);
  }
  SECTION("older kernels: /proc/pressure/cpu without a full line") {
    const auto p = parse_pressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
    REQUIRE(p.has_value());
    CHECK(p->some_avg10 == 0.0);
    CHECK(p->some_total_us == 0);
  }
  SECTION("malformed") {
    CHECK_FALSE(parse_pressure(""));
    CHECK_FALSE(parse_pressure("full avg10=1.00 avg60=1.00 avg300=1.00 total=5\n"));
    CHECK_FALSE(parse_pressure("some\n"));
    CHECK_FALSE(parse_pressure("some avg10\n"));
    CHECK_FALSE(parse_pressure("some avg10=abc avg60=0.00 avg300=0.00 total=0\n"));
    CHECK_FALSE(parse_pressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=1.5\n"));
  }
}

TEST_CASE("parse_proc_cgroup reads v1, v2 and hybrid files", "[probe][cgroup]") {
  SECTION("v2 only") {
    const auto lines = parse_proc_cgroup("0::/\n");
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].hierarchy_id == 0);
    CHECK(lines[0].controllers.empty());
    CHECK(lines[0].path == "/");
  }
  SECTION("v1 with combined controllers in either order") {
    const auto lines = parse_proc_cgroup(
        "4:cpuset:/docker/abc\n3:cpu,cpuacct:/docker/abc\n2:cpuacct,cpu:/other\n");
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].controllers == std::vector<std::string>{"cpuset"});
    CHECK(lines[1].hierarchy_id == 3);
    CHECK(lines[1].controllers == std::vector<std::string>{"cpu", "cpuacct"});
    CHECK(lines[1].path == "/docker/abc");
    CHECK(lines[2].controllers == std::vector<std::string>{"cpuacct", "cpu"});
    CHECK(lines[2].path == "/other");
  }
  SECTION("hybrid: named hierarchy, v1 controllers and the 0:: line") {
    const auto lines = parse_proc_cgroup(
        "12:cpu,cpuacct:/system.slice/app.service\n"
        "1:name=systemd:/system.slice/app.service\n"
        "0::/system.slice/app.service\n");
    REQUIRE(lines.size() == 3);
    CHECK(lines[1].hierarchy_id == 1);
    CHECK(lines[1].controllers == std::vector<std::string>{"name=systemd"});
    CHECK(lines[2].hierarchy_id == 0);
    CHECK(lines[2].controllers.empty());
  }
  SECTION("weird lines are skipped, colons in the path are kept") {
    const auto lines = parse_proc_cgroup(
        "garbage\n"
        "\n"
        "x:cpu:/a\n"
        "-1:cpu:/a\n"
        "5:cpu\n"
        "6:cpu:\n"
        "7:pids:/with:colon\n"
        "  0::/trimmed  \n");
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].hierarchy_id == 7);
    CHECK(lines[0].path == "/with:colon");
    CHECK(lines[1].path == "/trimmed");
  }
  SECTION("an empty file gives no lines") { CHECK(parse_proc_cgroup("").empty()); }
  SECTION("a hierarchy id beyond int is skipped, never wrapped to 0 (the v2 line)") {
    const auto lines = parse_proc_cgroup("4294967296::/x\n0::/real\n");
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].path == "/real");
  }
  SECTION("a path outside the cgroup namespace keeps its ..") {
    const auto lines = parse_proc_cgroup("0::/../system.slice/x.scope\n");
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].path == "/../system.slice/x.scope");
  }
}
