// The watch report's forms: the JSON contract, the text a person reads, the live table
// and the SVG timeline (every label inside the picture, one legend entry per series).
#include <catch2/catch.hpp>

#include <regex>
#include <string>

#include "advise/watch_rules.h"
#include "report/watch_render.h"

using namespace torchdiag;

namespace {

WatchedProcess busy_process(int pid, const std::string& comm, int usable, double runnable) {
  WatchedProcess p;
  p.pid = pid;
  p.comm = comm;
  p.cmdline = comm + " serve.py";
  p.cgroup = "/pod";
  p.capacity.usable_threads = usable;
  p.capacity.limited_by = LimitedBy::kQuota;
  p.quota_cpus = usable;
  p.affinity_cpus = 2;
  p.threads = 8;
  p.observed_s = 4;
  p.figures.runnable_threads_mean = runnable;
  p.figures.cpu_used_cpus = usable;
  p.figures.runqueue_wait_fraction = 0.8;
  p.throttled_fraction = 0.5;
  p.throttle_source = "/sys/fs/cgroup/cpu/pod/cpu.stat";
  p.spin_reason = "switched off (--no-spin)";
  p.thread_env = {{"OMP_NUM_THREADS", "8"}};
  p.pools = {{ThreadKind::kOpenmp, "libgomp", 8}};
  p.groups = {{ThreadKind::kOpenmp, comm, 7, {}}, {ThreadKind::kMain, comm, 1, {}}};
  for (int i = 1; i <= 4; ++i) {
    p.timeline.push_back({static_cast<double>(i) + 0.002, runnable, static_cast<double>(usable), 0.5});
  }
  return p;
}

WatchReport sample_report(int processes) {
  WatchReport r;
  r.duration_s = 4;
  r.interval_s = 1;
  r.observed_s = 4.002;
  r.selection = "--all";
  for (int i = 0; i < processes; ++i) {
    r.processes.push_back(busy_process(100 + i, i % 2 ? "python3" : "a (very) long engine name", 1, 7.5 + i));
  }
  judge_watch(r);
  return r;
}

/// The numbers of an attribute in an SVG element, e.g. x="12.5".
double attr(const std::string& element, const std::string& name) {
  const std::regex re(" " + name + "=\"([-0-9.]+)\"");
  std::smatch m;
  REQUIRE(std::regex_search(element, m, re));
  return std::stod(m[1]);
}

}  // namespace

TEST_CASE("watch JSON has the contract keys", "[report][watch]") {
  const auto j = watch_to_json(sample_report(1));
  CHECK(j["schema"] == "torchdiag.watch/1");
  CHECK(j["duration_s"] == 4);
  REQUIRE(j["processes"].size() == 1);
  const auto& p = j["processes"][0];
  for (const char* key : {"pid", "comm", "cmdline", "cgroup", "threads", "usable_threads", "runnable_threads_mean",
                          "cpu_used_cpus", "runqueue_wait_fraction", "involuntary_switches_per_s",
                          "throttled_fraction", "spin_fraction", "oversubscription_ratio", "verdict", "pools",
                          "timeline", "exited"}) {
    INFO(key);
    CHECK(p.contains(key));
  }
  CHECK(p["verdict"] == "oversubscribed");
  CHECK(p["spin_fraction"].is_null());
  CHECK(p["spin_reason"] == "switched off (--no-spin)");
  CHECK(p["pools"][0]["kind"] == "openmp");
  CHECK(p["timeline"].size() == 4);
  CHECK(j["cgroups"][0]["verdict"] == "oversubscribed");
  CHECK(j["findings"][0]["id"] == "oversubscription");
}

TEST_CASE("watch text leads with the verdict and its evidence", "[report][watch]") {
  const auto text = watch_to_text(sample_report(1), false);
  CHECK(text.find("PID 100 (a (very) long engine name): oversubscribed") != std::string::npos);
  CHECK(text.find("7.5 runnable threads on 1 usable CPU (quota)") != std::string::npos);
  CHECK(text.find("fix: set OMP_NUM_THREADS=1") != std::string::npos);
  CHECK(text.find("timeline") == std::string::npos);
  CHECK(watch_to_text(sample_report(1), true).find("timeline") != std::string::npos);
}

TEST_CASE("the live table has a header, one row per process and a cap", "[report][watch]") {
  const auto table = watch_live_table(sample_report(5), 3);
  size_t lines = 0;
  for (char c : table) lines += c == '\n';
  CHECK(lines == 2 + 3 + 1);  // title, header, 3 rows, "... and 2 more"
  CHECK(table.find("... and 2 more") != std::string::npos);
  CHECK(table.find("oversubscribed") != std::string::npos);
}

TEST_CASE("the watch SVG keeps every label inside the picture", "[report][watch]") {
  for (int processes : {0, 1, 3, 14}) {
    INFO(processes << " processes");
    const auto svg = watch_to_svg(sample_report(processes));
    const std::regex view("viewBox=\"0 0 ([0-9.]+) ([0-9.]+)\"");
    std::smatch m;
    REQUIRE(std::regex_search(svg, m, view));
    const double width = std::stod(m[1]), height = std::stod(m[2]);
    const std::regex text_re("<text[^>]*>([^<]*)</text>");
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), text_re); it != std::sregex_iterator(); ++it) {
      const std::string element = (*it)[0];
      if (element.find("rotate(") != std::string::npos) continue;  // the vertical axis title
      const double x = attr(element, "x"), y = attr(element, "y");
      const double w = 7.0 * static_cast<double>((*it)[1].length());  // ~7 px per character at 12 px
      const bool middle = element.find("text-anchor=\"middle\"") != std::string::npos;
      const bool end = element.find("text-anchor=\"end\"") != std::string::npos;
      const double left = middle ? x - w / 2 : end ? x - w : x;
      INFO(element);
      CHECK(left >= 0);
      CHECK(left + w <= width);
      CHECK(y > 0);
      CHECK(y <= height);
    }
    size_t legend = 0, panels = 0;
    for (size_t at = 0; (at = svg.find("class=\"legend-entry\"", at)) != std::string::npos; ++at) ++legend;
    for (size_t at = 0; (at = svg.find("class=\"panel\"", at)) != std::string::npos; ++at) ++panels;
    CHECK(legend == 3);  // runnable threads, CPUs used, usable threads
    CHECK(panels == std::min<size_t>(static_cast<size_t>(processes), 12));
  }
}
