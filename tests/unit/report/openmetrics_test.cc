// The OpenMetrics text of inspect, watch and recommend: the format contract (one # HELP
// and # TYPE gauge per family before its samples, contiguous samples, # UNIT only for
// unit suffixes, escaped label values, number forms, "# EOF\n" at the end) and which
// families and labels each report gives, from hand-made reports.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "advise/findings.h"
#include "report/openmetrics.h"

using namespace torchdiag;

namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  std::string name;
  Labels labels;  ///< unescaped values, in text order
  std::string value;

  std::string label(const std::string& key) const {
    for (const auto& [k, v] : labels) {
      if (k == key) return v;
    }
    return "<absent>";
  }
  bool has(const std::string& key) const { return label(key) != "<absent>"; }
  std::set<std::string> keys() const {
    std::set<std::string> out;
    for (const auto& kv : labels) out.insert(kv.first);
    return out;
  }
};

struct Family {
  std::string name;
  std::string help;
  std::string type;
  std::string unit;
  int helps = 0;
  int types = 0;
  int units = 0;
  std::vector<Sample> samples;
};

/// The families of a metrics text and every breach of the format contract found on the way.
struct Parsed {
  std::vector<Family> families;
  std::vector<std::string> errors;

  const Family* family(const std::string& name) const {
    for (const auto& f : families) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
  bool has(const std::string& name) const { return family(name) != nullptr; }
  /// The samples of `name` (none when the family is absent).
  std::vector<Sample> samples(const std::string& name) const {
    const auto* f = family(name);
    return f ? f->samples : std::vector<Sample>{};
  }
  /// The one sample of `name` whose label `key` is `value`.
  const Sample* find(const std::string& name, const std::string& key, const std::string& value) const {
    const auto* f = family(name);
    if (!f) return nullptr;
    const Sample* found = nullptr;
    for (const auto& s : f->samples) {
      if (s.label(key) == value) {
        if (found) return nullptr;
        found = &s;
      }
    }
    return found;
  }
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string expected_unit(const std::string& name) {
  for (const char* unit : {"seconds", "ratio", "bytes"}) {
    const std::string suffix = std::string("_") + unit;
    if (name.size() > suffix.size() && ends_with(name, suffix)) return unit;
  }
  return "";
}

bool valid_name(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
    if (!ok) return false;
  }
  return true;
}

/// A sample's value: NaN, +Inf, -Inf or a decimal number.
bool valid_value(const std::string& v) {
  if (v == "NaN" || v == "+Inf" || v == "-Inf") return true;
  if (v.empty()) return false;
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  return end == v.c_str() + v.size() && std::isfinite(d);
}

/// Parses `name{k="v",...} value`; "" on success, else what is wrong.
std::string parse_sample(const std::string& line, Sample& s) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  s.name = line.substr(0, i);
  if (!valid_name(s.name)) return "bad metric name";
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const auto eq = line.find('=', i);
      if (eq == std::string::npos) return "label without '='";
      const auto key = line.substr(i, eq - i);
      if (!valid_name(key) || key.find(':') != std::string::npos) return "bad label name '" + key + "'";
      i = eq + 1;
      if (i >= line.size() || line[i] != '"') return "label value not quoted";
      ++i;
      std::string value;
      bool closed = false;
      while (i < line.size()) {
        const char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i >= line.size()) return "dangling backslash";
          const char e = line[i++];
          if (e == '\\') value += '\\';
          else if (e == '"') value += '"';
          else if (e == 'n') value += '\n';
          else return std::string("unknown escape \\") + e;
        } else {
          value += c;
        }
      }
      if (!closed) return "unterminated label value";
      for (const auto& kv : s.labels) {
        if (kv.first == key) return "duplicate label '" + key + "'";
      }
      s.labels.emplace_back(key, value);
      if (i < line.size() && line[i] == ',') ++i;
      else if (i >= line.size() || line[i] != '}') return "missing ',' between labels";
    }
    if (i >= line.size()) return "unterminated label set";
    ++i;
  }
  if (i >= line.size() || line[i] != ' ') return "no space before the value";
  s.value = line.substr(i + 1);
  if (!valid_value(s.value)) return "bad value '" + s.value + "'";
  return "";
}

Parsed parse(const std::string& text) {
  Parsed p;
  const auto error = [&](const std::string& what, const std::string& line) { p.errors.push_back(what + ": " + line); };
  if (!ends_with(text, "# EOF\n")) p.errors.push_back("the text does not end with \"# EOF\\n\"");
  std::istringstream in(text);
  std::string line;
  bool eof = false;
  std::set<std::string> series;
  size_t current = 0;  // index of the family being read, when any
  const auto open = [&](const std::string& name) -> Family* {
    if (current < p.families.size() && p.families[current].name == name) return &p.families[current];
    for (size_t i = 0; i < p.families.size(); ++i) {
      if (p.families[i].name == name) {
        error("family appears twice (not contiguous)", name);
        current = i;
        return &p.families[i];
      }
    }
    p.families.push_back(Family{});
    p.families.back().name = name;
    current = p.families.size() - 1;
    return &p.families.back();
  };
  while (std::getline(in, line)) {
    if (eof) error("text after # EOF", line);
    if (line.empty()) {
      error("blank line", line);
      continue;
    }
    if (line == "# EOF") {
      eof = true;
      continue;
    }
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, kind, name;
      words >> hash >> kind >> name;
      std::string rest;
      const auto at = line.find(name, hash.size() + 1 + kind.size()) + name.size();
      if (at < line.size()) rest = line.substr(at + 1);
      auto* f = open(name);
      if (!f->samples.empty()) error("metadata after samples", line);
      if (kind == "HELP") {
        if (f->types > 0 || f->units > 0) error("# HELP after # TYPE or # UNIT", line);
        f->help = rest;
        ++f->helps;
      } else if (kind == "TYPE") {
        if (f->units > 0) error("# TYPE after # UNIT", line);
        f->type = rest;
        ++f->types;
      } else if (kind == "UNIT") {
        f->unit = rest;
        ++f->units;
      } else {
        error("unknown comment", line);
      }
      continue;
    }
    Sample s;
    if (const auto why = parse_sample(line, s); !why.empty()) {
      error(why, line);
      continue;
    }
    auto* f = open(s.name);
    if (f->helps == 0 || f->types == 0) error("sample before its # HELP and # TYPE", line);
    std::string id = s.name;
    for (const auto& [k, v] : s.labels) id += "\x01" + k + "\x02" + v;
    if (!series.insert(id).second) error("duplicate series", line);
    f->samples.push_back(std::move(s));
  }
  if (!eof) p.errors.push_back("no # EOF line");
  for (const auto& f : p.families) {
    if (f.helps != 1) error("not exactly one # HELP", f.name);
    if (f.types != 1) error("not exactly one # TYPE", f.name);
    if (f.type != "gauge") error("type is not gauge", f.name);
    if (f.help.empty()) error("empty # HELP", f.name);
    if (f.samples.empty()) error("family without samples", f.name);
    const auto unit = expected_unit(f.name);
    if (f.units > 1) error("more than one # UNIT", f.name);
    if (unit.empty() && f.units > 0) error("# UNIT on a name without a unit suffix", f.name);
    if (!unit.empty() && f.units == 0) error("no # UNIT for a name ending in _" + unit, f.name);
    if (!unit.empty() && f.units == 1 && f.unit != unit) error("# UNIT does not match the suffix", f.name);
  }
  return p;
}

/// Parses `text` and fails the test on any breach of the contract.
Parsed checked(const std::string& text) {
  auto p = parse(text);
  INFO(text);
  for (const auto& e : p.errors) {
    INFO(e);
    CHECK(false);
  }
  return p;
}

std::set<std::string> label_values(const std::vector<Sample>& samples, const std::string& key) {
  std::set<std::string> out;
  for (const auto& s : samples) out.insert(s.label(key));
  return out;
}

const std::set<std::string> kProcessKeys = {"pid", "comm", "cgroup"};
const std::set<std::string> kPodKeys = {"pod_uid", "namespace", "pod", "container"};

const char* const kPerProcessGauges[] = {
    "torchdiag_process_threads",         "torchdiag_process_pool_threads",         "torchdiag_process_usable_threads",
    "torchdiag_process_runnable_threads", "torchdiag_process_cpus_used",           "torchdiag_process_oversubscription_ratio",
    "torchdiag_process_runqueue_wait_ratio", "torchdiag_process_verdict_info"};

CpuSet cpus(int n) {
  CpuSet out;
  for (int i = 0; i < n; ++i) out.push_back(i);
  return out;
}

InspectReport inspect_report() {
  InspectReport r;
  r.root = "/";
  r.cpu.online = Fact<CpuSet>::known(cpus(8), "/sys/devices/system/cpu/online");
  r.cpu.affinity = Fact<CpuSet>::known(cpus(4));
  r.capacity.usable_threads = 4;
  r.capacity.allowed_cpus = 4;
  return r;
}

Finding finding(const std::string& id, Severity s, const std::string& subject) {
  Finding f;
  f.id = id;
  f.severity = s;
  f.message = id + " message";
  f.fix = id + " fix";
  f.subject = subject;
  return f;
}

WatchedProcess process(int pid, const std::string& comm, int threads) {
  WatchedProcess p;
  p.pid = pid;
  p.comm = comm;
  p.cmdline = comm;
  p.cgroup = "/system.slice/app-" + std::to_string(pid) + ".service";
  p.capacity.usable_threads = 2;
  p.threads = threads;
  p.pool_threads = threads;
  p.observed_s = 3;
  p.figures.runnable_threads_mean = 1.5;
  p.figures.cpu_used_cpus = 1.25;
  p.figures.runqueue_wait_fraction = 0.125;
  p.oversubscription_ratio = 0.75;
  p.spin_reason = "switched off (--no-spin)";
  p.verdict = Verdict::kOk;
  return p;
}

WatchedCgroup cgroup_of(const WatchedProcess& p) {
  WatchedCgroup c;
  c.path = p.cgroup;
  c.pod = p.pod;
  c.pod.container_id.clear();
  c.pod.container.clear();
  c.pids = {p.pid};
  c.usable_threads = p.capacity.usable_threads;
  c.pool_threads = p.pool_threads;
  c.runnable_threads_mean = p.figures.runnable_threads_mean;
  c.oversubscription_ratio = p.oversubscription_ratio;
  c.verdict = p.verdict;
  return c;
}

/// A report of `processes`, each in its own cgroup, with cgroups in process order.
WatchReport watch_report(std::vector<WatchedProcess> processes) {
  WatchReport r;
  r.duration_s = 3;
  r.interval_s = 1;
  r.observed_s = 3.5;
  r.selection = "--all";
  r.processes = std::move(processes);
  for (const auto& p : r.processes) r.cgroups.push_back(cgroup_of(p));
  return r;
}

constexpr double kNow = 1700000000.25;

}  // namespace

// ---- MetricsText and the format -------------------------------------------------------

TEST_CASE("MetricsText: one # HELP and # TYPE per family, samples grouped in first-seen order",
          "[report][openmetrics]") {
  MetricsText m;
  m.gauge("b_things", "Things", {{"k", "1"}}, 1);
  m.gauge("a_other", "Other", {}, 2);
  m.gauge("b_things", "Things (second help ignored)", {{"k", "2"}}, 3);
  m.gauge("c_wait_seconds", "Waiting", {}, 0.5);
  const auto text = m.finish();
  CHECK(text ==
        "# HELP b_things Things\n"
        "# TYPE b_things gauge\n"
        "b_things{k=\"1\"} 1\n"
        "b_things{k=\"2\"} 3\n"
        "# HELP a_other Other\n"
        "# TYPE a_other gauge\n"
        "a_other 2\n"
        "# HELP c_wait_seconds Waiting\n"
        "# TYPE c_wait_seconds gauge\n"
        "# UNIT c_wait_seconds seconds\n"
        "c_wait_seconds 0.5\n"
        "# EOF\n");
  const auto p = checked(text);
  CHECK(p.families.size() == 3);
}

TEST_CASE("MetricsText: nothing added is just # EOF", "[report][openmetrics]") {
  CHECK(MetricsText().finish() == "# EOF\n");
}

TEST_CASE("MetricsText: # UNIT only for names ending in _seconds, _ratio or _bytes", "[report][openmetrics]") {
  const std::map<std::string, std::string> cases = {
      {"x_seconds", "seconds"}, {"x_ratio", "ratio"},   {"x_bytes", "bytes"},     {"x_milliseconds", ""},
      {"x_seconds_total", ""},  {"x_kilobytes", ""},    {"x_ratios", ""},         {"x_cpus", ""},
      {"x_info", ""},           {"x_bytes_ratio", "ratio"}, {"x_threads", ""},
  };
  for (const auto& [name, unit] : cases) {
    INFO(name);
    MetricsText m;
    m.gauge(name, "h", {}, 1);
    const auto text = m.finish();
    const auto line = "# UNIT " + name + " " + unit + "\n";
    if (unit.empty()) {
      CHECK(text.find("# UNIT") == std::string::npos);
    } else {
      CHECK(text.find(line) != std::string::npos);
      // After # TYPE, before the sample.
      CHECK(text.find("# TYPE " + name + " gauge\n" + line + name + " 1\n") != std::string::npos);
    }
    checked(text);
  }
}

TEST_CASE("escape_label_value: backslash, double quote and newline escaped, invalid UTF-8 replaced",
          "[report][openmetrics]") {
  CHECK(escape_label_value("plain") == "plain");
  CHECK(escape_label_value("") == "");
  CHECK(escape_label_value("a\\b") == "a\\\\b");
  CHECK(escape_label_value("say \"hi\"") == "say \\\"hi\\\"");
  CHECK(escape_label_value("one\ntwo") == "one\\ntwo");
  CHECK(escape_label_value("\\\"\n") == "\\\\\\\"\\n");
  CHECK(escape_label_value("we\"ird\\x") == "we\\\"ird\\\\x");
  // A lone byte, a truncated sequence and an overlong encoding each become U+FFFD.
  CHECK(escape_label_value("a\xff" "b") == "a\xEF\xBF\xBD" "b");
  CHECK(escape_label_value("\xC3") == "\xEF\xBF\xBD");
  CHECK(escape_label_value("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");
  // Valid UTF-8 and other control characters stay as they are.
  CHECK(escape_label_value("caf\xC3\xA9 \xE2\x9C\x93") == "caf\xC3\xA9 \xE2\x9C\x93");
  CHECK(escape_label_value("a\tb") == "a\tb");
}

TEST_CASE("MetricsText: label values escaped in the sample line, # HELP escaped", "[report][openmetrics]") {
  MetricsText m;
  m.gauge("x_info", "Help with a \\ backslash\nand a newline", {{"comm", "we\"ird\\x"}, {"cmd", "a\nb\xff"}}, 1);
  const auto text = m.finish();
  CHECK(text ==
        "# HELP x_info Help with a \\\\ backslash\\nand a newline\n"
        "# TYPE x_info gauge\n"
        "x_info{comm=\"we\\\"ird\\\\x\",cmd=\"a\\nb\xEF\xBF\xBD\"} 1\n"
        "# EOF\n");
  const auto p = checked(text);
  REQUIRE(p.samples("x_info").size() == 1);
  CHECK(p.samples("x_info")[0].label("comm") == "we\"ird\\x");
  CHECK(p.samples("x_info")[0].label("cmd") == "a\nb\xEF\xBF\xBD");
}

TEST_CASE("MetricsText: NaN, infinities, integers without a decimal point, fractions that read back",
          "[report][openmetrics]") {
  const auto line_of = [](double v) {
    MetricsText m;
    m.gauge("v", "h", {}, v);
    const auto text = m.finish();
    const auto start = text.find("\nv ") + 3;
    return text.substr(start, text.find('\n', start) - start);
  };
  CHECK(line_of(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(line_of(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(line_of(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(line_of(0) == "0");
  CHECK(line_of(1) == "1");
  CHECK(line_of(8) == "8");
  CHECK(line_of(-3) == "-3");
  CHECK(line_of(4096) == "4096");
  CHECK(line_of(1700000000) == "1700000000");
  CHECK(line_of(123456789012345.0) == "123456789012345");
  CHECK(line_of(0.5) == "0.5");
  CHECK(line_of(0.1) == "0.1");
  CHECK(line_of(1.25) == "1.25");
  CHECK(line_of(kNow) == "1700000000.25");
  for (const double v : {0.1, 1.0 / 3.0, 2.0 / 3.0, 1e-7, 6.02e23, 1e15, 1e300, -0.001, 1.4079662901576506}) {
    INFO(v);
    const auto text = line_of(v);
    CHECK(valid_value(text));
    CHECK(std::strtod(text.c_str(), nullptr) == v);  // shortest form that reads back exactly
  }
}

// ---- inspect -----------------------------------------------------------------------------

TEST_CASE("inspect metrics: CPU facts and usable threads, no quota family without a quota",
          "[report][openmetrics]") {
  const auto p = checked(inspect_to_openmetrics(inspect_report()));
  REQUIRE(p.samples("torchdiag_build_info").size() == 1);
  const auto build = p.samples("torchdiag_build_info")[0];
  CHECK(build.labels == Labels{{"version", TORCHDIAG_VERSION}, {"libtorch", ""}});
  CHECK(build.value == "1");
  REQUIRE(p.samples("torchdiag_cpu_online").size() == 1);
  CHECK(p.samples("torchdiag_cpu_online")[0].value == "8");
  CHECK(p.samples("torchdiag_cpu_online")[0].labels.empty());
  REQUIRE(p.samples("torchdiag_cpu_affinity").size() == 1);
  CHECK(p.samples("torchdiag_cpu_affinity")[0].value == "4");
  REQUIRE(p.samples("torchdiag_usable_threads").size() == 1);
  CHECK(p.samples("torchdiag_usable_threads")[0].value == "4");
  CHECK_FALSE(p.has("torchdiag_cpu_quota_cpus"));
  CHECK_FALSE(p.has("torchdiag_libtorch_intra_op_threads"));
  CHECK_FALSE(p.has("torchdiag_finding_info"));
}

TEST_CASE("inspect metrics: the quota in CPUs when one is set", "[report][openmetrics]") {
  auto r = inspect_report();
  r.cgroup.quota_cpus = 1.5;
  r.capacity.usable_threads = 1;
  const auto p = checked(inspect_to_openmetrics(r));
  REQUIRE(p.samples("torchdiag_cpu_quota_cpus").size() == 1);
  CHECK(p.samples("torchdiag_cpu_quota_cpus")[0].value == "1.5");
  CHECK(p.samples("torchdiag_usable_threads")[0].value == "1");
  r.cgroup.quota_cpus = 2;
  CHECK(checked(inspect_to_openmetrics(r)).samples("torchdiag_cpu_quota_cpus")[0].value == "2");
}

TEST_CASE("inspect metrics: unreadable CPU facts are left out, not made up", "[report][openmetrics]") {
  auto r = inspect_report();
  r.cpu.online = Fact<CpuSet>::unavailable("No such file or directory", "/sys/devices/system/cpu/online");
  r.cpu.affinity = Fact<CpuSet>::unavailable("Permission denied");
  const auto p = checked(inspect_to_openmetrics(r));
  CHECK_FALSE(p.has("torchdiag_cpu_online"));
  CHECK_FALSE(p.has("torchdiag_cpu_affinity"));
  CHECK(p.has("torchdiag_usable_threads"));
}

TEST_CASE("inspect metrics: LibTorch's threads only when its facts are available", "[report][openmetrics]") {
  auto r = inspect_report();
  SECTION("the worker failed") {
    TorchFacts t;
    t.available = false;
    t.reason = "torchdiag-worker not found";
    t.version = "2.3.0";  // not reported when the facts are not available
    t.intra_op_threads = 4;
    r.torch = t;
    const auto p = checked(inspect_to_openmetrics(r));
    CHECK_FALSE(p.has("torchdiag_libtorch_intra_op_threads"));
    CHECK(p.samples("torchdiag_build_info")[0].label("libtorch") == "");
  }
  SECTION("the worker answered") {
    TorchFacts t;
    t.available = true;
    t.version = "2.3.0+cpu";
    t.intra_op_threads = 4;
    r.torch = t;
    const auto p = checked(inspect_to_openmetrics(r));
    REQUIRE(p.samples("torchdiag_libtorch_intra_op_threads").size() == 1);
    CHECK(p.samples("torchdiag_libtorch_intra_op_threads")[0].value == "4");
    CHECK(p.samples("torchdiag_libtorch_intra_op_threads")[0].labels.empty());
    CHECK(p.samples("torchdiag_build_info")[0].label("libtorch") == "2.3.0+cpu");
  }
}

TEST_CASE("inspect metrics: one torchdiag_finding_info per finding, with id, severity and subject",
          "[report][openmetrics]") {
  auto r = inspect_report();
  r.findings = {finding("oversubscription", Severity::kCritical, ""),
                finding("cfs-throttled", Severity::kWarning, ""),
                finding("cgroup-read-problem", Severity::kInfo, "cgroup /x")};
  const auto p = checked(inspect_to_openmetrics(r));
  const auto samples = p.samples("torchdiag_finding_info");
  REQUIRE(samples.size() == 3);
  for (size_t i = 0; i < samples.size(); ++i) {
    INFO(i);
    CHECK(samples[i].keys() == std::set<std::string>{"id", "severity", "subject"});
    CHECK(samples[i].label("id") == r.findings[i].id);
    CHECK(samples[i].label("severity") == to_string(r.findings[i].severity));
    CHECK(samples[i].label("subject") == r.findings[i].subject);
    CHECK(samples[i].value == "1");
  }
  CHECK(samples[0].label("severity") == "critical");
  CHECK(samples[1].label("severity") == "warning");
  CHECK(samples[2].label("severity") == "info");
}

TEST_CASE("inspect metrics: two findings with the same id stay two distinct series", "[report][openmetrics]") {
  // OMP_NUM_THREADS and MKL_NUM_THREADS both invalid give two env-threads-invalid findings;
  // the same (name, labels) twice is a duplicate series that Prometheus rejects.
  auto r = inspect_report();
  r.env.vars = {{"OMP_NUM_THREADS", "many"}, {"MKL_NUM_THREADS", "lots"}};
  r.env.source = "process environment";
  r.findings = diagnose(r);
  size_t invalid = 0;
  for (const auto& f : r.findings) invalid += f.id == "env-threads-invalid";
  REQUIRE(invalid == 2);
  const auto text = inspect_to_openmetrics(r);
  const auto p = checked(text);
  CHECK(p.samples("torchdiag_finding_info").size() == r.findings.size());
}

// ---- watch -------------------------------------------------------------------------------

TEST_CASE("watch metrics: the round's families", "[report][openmetrics]") {
  auto r = watch_report({process(100, "python3", 4), process(101, "engine", 2)});
  r.observed_s = 3.5;
  const auto p = checked(watch_to_openmetrics(r, 50, kNow));
  CHECK(p.samples("torchdiag_build_info").size() == 1);
  REQUIRE(p.samples("torchdiag_watch_duration_seconds").size() == 1);
  CHECK(p.samples("torchdiag_watch_duration_seconds")[0].value == "3.5");
  REQUIRE(p.samples("torchdiag_watch_timestamp_seconds").size() == 1);
  CHECK(p.samples("torchdiag_watch_timestamp_seconds")[0].value == "1700000000.25");
  REQUIRE(p.samples("torchdiag_watch_processes").size() == 1);
  CHECK(p.samples("torchdiag_watch_processes")[0].value == "2");
  REQUIRE(p.samples("torchdiag_watch_processes_dropped").size() == 1);
  CHECK(p.samples("torchdiag_watch_processes_dropped")[0].value == "0");
  for (const char* name : kPerProcessGauges) {
    INFO(name);
    CHECK(label_values(p.samples(name), "pid") == std::set<std::string>{"100", "101"});
  }
  const auto* threads = p.find("torchdiag_process_threads", "pid", "100");
  REQUIRE(threads);
  CHECK(threads->value == "4");
  CHECK(p.find("torchdiag_process_pool_threads", "pid", "101")->value == "2");
  CHECK(p.find("torchdiag_process_usable_threads", "pid", "100")->value == "2");
  CHECK(p.find("torchdiag_process_runnable_threads", "pid", "100")->value == "1.5");
  CHECK(p.find("torchdiag_process_cpus_used", "pid", "100")->value == "1.25");
  CHECK(p.find("torchdiag_process_oversubscription_ratio", "pid", "100")->value == "0.75");
  CHECK(p.find("torchdiag_process_runqueue_wait_ratio", "pid", "100")->value == "0.125");
  // Every family and sample of a round with no processes is still well formed.
  const auto empty = checked(watch_to_openmetrics(watch_report({}), 50, kNow));
  CHECK(empty.samples("torchdiag_watch_processes")[0].value == "0");
  CHECK_FALSE(empty.has("torchdiag_process_threads"));
  CHECK_FALSE(empty.has("torchdiag_cgroup_pool_threads"));
}

TEST_CASE("watch metrics: process labels pid, comm, cgroup, and pod labels only when known",
          "[report][openmetrics]") {
  auto plain = process(100, "we\"ird\\x", 4);
  auto pod = process(200, "python3", 3);
  pod.cgroup = "/kubepods/burstable/pod0a1b2c3d-0000-4000-8000-00000000abcd/" + std::string(64, 'f');
  pod.pod.pod_uid = "0a1b2c3d-0000-4000-8000-00000000abcd";
  pod.pod.container_id = std::string(64, 'f');
  pod.pod.namespace_ = "ml";
  pod.pod.pod = "serve-7d9f";
  pod.pod.container = "model";
  auto partial = process(300, "engine", 2);
  partial.pod.namespace_ = "batch";  // the variables of the downward API, no kubepods path
  const auto r = watch_report({plain, pod, partial});
  const auto p = checked(watch_to_openmetrics(r, 50, kNow));
  for (const char* name : kPerProcessGauges) {
    INFO(name);
    const auto* a = p.find(name, "pid", "100");
    const auto* b = p.find(name, "pid", "200");
    const auto* c = p.find(name, "pid", "300");
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(c);
    auto keys = kProcessKeys;
    if (std::string(name) == "torchdiag_process_verdict_info") keys.insert("verdict");
    CHECK(a->keys() == keys);
    auto with_pod = keys;
    with_pod.insert(kPodKeys.begin(), kPodKeys.end());
    CHECK(b->keys() == with_pod);
    auto with_namespace = keys;
    with_namespace.insert("namespace");
    CHECK(c->keys() == with_namespace);
    CHECK(a->label("comm") == "we\"ird\\x");
    CHECK(a->label("cgroup") == plain.cgroup);
    CHECK(b->label("pod_uid") == "0a1b2c3d-0000-4000-8000-00000000abcd");
    CHECK(b->label("namespace") == "ml");
    CHECK(b->label("pod") == "serve-7d9f");
    CHECK(b->label("container") == "model");
    CHECK(b->label("cgroup") == pod.cgroup);
    CHECK(c->label("namespace") == "batch");
  }
  // Escaped in the text itself.
  const auto text = watch_to_openmetrics(r, 50, kNow);
  CHECK(text.find("torchdiag_process_threads{pid=\"100\",comm=\"we\\\"ird\\\\x\",cgroup=\"" + plain.cgroup + "\"} 4\n") !=
        std::string::npos);
  // The cgroup families: cgroup and pod labels, never the container.
  const auto* cg = p.find("torchdiag_cgroup_pool_threads", "cgroup", pod.cgroup);
  REQUIRE(cg);
  CHECK(cg->keys() == std::set<std::string>{"cgroup", "pod_uid", "namespace", "pod"});
  CHECK(cg->label("pod_uid") == "0a1b2c3d-0000-4000-8000-00000000abcd");
  const auto* plain_cg = p.find("torchdiag_cgroup_pool_threads", "cgroup", plain.cgroup);
  REQUIRE(plain_cg);
  CHECK(plain_cg->keys() == std::set<std::string>{"cgroup"});
}

TEST_CASE("watch metrics: throttled ratio only when known", "[report][openmetrics]") {
  auto known = process(100, "a", 4);
  known.throttled_fraction = 0.25;
  auto zero = process(101, "b", 4);
  zero.throttled_fraction = 0.0;
  auto unknown = process(102, "c", 4);
  unknown.throttled_fraction.reset();
  unknown.throttle_source = "unavailable (no cpu.stat)";
  const auto p = checked(watch_to_openmetrics(watch_report({known, zero, unknown}), 50, kNow));
  CHECK(label_values(p.samples("torchdiag_process_throttled_ratio"), "pid") == std::set<std::string>{"100", "101"});
  CHECK(p.find("torchdiag_process_throttled_ratio", "pid", "100")->value == "0.25");
  CHECK(p.find("torchdiag_process_throttled_ratio", "pid", "101")->value == "0");
  const auto none = checked(watch_to_openmetrics(watch_report({unknown}), 50, kNow));
  CHECK_FALSE(none.has("torchdiag_process_throttled_ratio"));
}

TEST_CASE("watch metrics: spin ratio when measured, else spin_unavailable_info with the reason",
          "[report][openmetrics]") {
  auto measured = process(100, "a", 4);
  measured.spin_fraction = 0.375;
  measured.spin_reason = "";
  auto unmeasured = process(101, "b", 4);
  unmeasured.spin_fraction.reset();
  unmeasured.spin_reason = "perf_event_open: Permission denied (perf_event_paranoid 3)";
  const auto p = checked(watch_to_openmetrics(watch_report({measured, unmeasured}), 50, kNow));
  REQUIRE(p.samples("torchdiag_process_spin_ratio").size() == 1);
  CHECK(p.samples("torchdiag_process_spin_ratio")[0].label("pid") == "100");
  CHECK(p.samples("torchdiag_process_spin_ratio")[0].value == "0.375");
  const auto unavailable = p.samples("torchdiag_process_spin_unavailable_info");
  REQUIRE(unavailable.size() == 1);
  CHECK(unavailable[0].label("pid") == "101");
  CHECK(unavailable[0].label("reason") == unmeasured.spin_reason);
  CHECK(unavailable[0].value == "1");
  auto keys = kProcessKeys;
  keys.insert("reason");
  CHECK(unavailable[0].keys() == keys);
}

TEST_CASE("watch metrics: one verdict_info per process and per cgroup", "[report][openmetrics]") {
  auto over = process(100, "a", 8);
  over.verdict = Verdict::kOversubscribed;
  auto idle = process(101, "b", 2);
  idle.verdict = Verdict::kIdle;
  auto gone = process(102, "c", 1);
  gone.verdict = Verdict::kExited;
  const auto r = watch_report({over, idle, gone});
  const auto p = checked(watch_to_openmetrics(r, 50, kNow));
  const auto verdicts = p.samples("torchdiag_process_verdict_info");
  REQUIRE(verdicts.size() == 3);
  CHECK(p.find("torchdiag_process_verdict_info", "pid", "100")->label("verdict") == "oversubscribed");
  CHECK(p.find("torchdiag_process_verdict_info", "pid", "101")->label("verdict") == "idle");
  CHECK(p.find("torchdiag_process_verdict_info", "pid", "102")->label("verdict") == "exited");
  for (const auto& s : verdicts) CHECK(s.value == "1");
  const auto cgroups = p.samples("torchdiag_cgroup_verdict_info");
  REQUIRE(cgroups.size() == 3);
  CHECK(p.find("torchdiag_cgroup_verdict_info", "cgroup", over.cgroup)->label("verdict") == "oversubscribed");
  CHECK(p.find("torchdiag_cgroup_verdict_info", "cgroup", over.cgroup)->keys() ==
        std::set<std::string>{"cgroup", "verdict"});
}

TEST_CASE("watch metrics: one finding_info per finding with its subject", "[report][openmetrics]") {
  auto r = watch_report({process(100, "a", 8), process(101, "b", 8)});
  const std::string cgroup = "cgroup " + r.processes[0].cgroup;
  r.findings = {finding("oversubscription", Severity::kCritical, "pid 100"),
                finding("openmp-spin", Severity::kWarning, "pid 100"),
                finding("cgroup-oversubscribed", Severity::kWarning, cgroup),
                finding("cgroup-oversubscribed", Severity::kWarning, "cgroup /not/watched")};
  const auto p = checked(watch_to_openmetrics(r, 50, kNow));
  const auto samples = p.samples("torchdiag_finding_info");
  REQUIRE(samples.size() == 3);  // a finding about nothing in the metrics is left out
  CHECK(samples[0].labels == Labels{{"id", "oversubscription"}, {"severity", "critical"}, {"subject", "pid 100"}});
  CHECK(samples[1].labels == Labels{{"id", "openmp-spin"}, {"severity", "warning"}, {"subject", "pid 100"}});
  CHECK(samples[2].labels == Labels{{"id", "cgroup-oversubscribed"}, {"severity", "warning"}, {"subject", cgroup}});
}

TEST_CASE("watch metrics: --max-series keeps the processes with the most threads, counts the others",
          "[report][openmetrics]") {
  const auto r = watch_report({process(100, "a", 3), process(101, "b", 9), process(102, "c", 5),
                               process(103, "d", 7), process(104, "e", 1)});
  SECTION("two of five") {
    const auto p = checked(watch_to_openmetrics(r, 2, kNow));
    CHECK(p.samples("torchdiag_watch_processes")[0].value == "5");
    CHECK(p.samples("torchdiag_watch_processes_dropped")[0].value == "3");
    for (const char* name : kPerProcessGauges) {
      INFO(name);
      CHECK(label_values(p.samples(name), "pid") == std::set<std::string>{"101", "103"});
    }
    CHECK(label_values(p.samples("torchdiag_process_spin_unavailable_info"), "pid") ==
          std::set<std::string>{"101", "103"});
  }
  SECTION("one") {
    const auto p = checked(watch_to_openmetrics(r, 1, kNow));
    CHECK(p.samples("torchdiag_watch_processes_dropped")[0].value == "4");
    CHECK(label_values(p.samples("torchdiag_process_threads"), "pid") == std::set<std::string>{"101"});
  }
  SECTION("as many as there are, or more") {
    for (const size_t max : {size_t{5}, size_t{50}}) {
      const auto p = checked(watch_to_openmetrics(r, max, kNow));
      CHECK(p.samples("torchdiag_watch_processes_dropped")[0].value == "0");
      CHECK(p.samples("torchdiag_process_threads").size() == 5);
    }
  }
  SECTION("ties keep the report's order") {
    const auto tied = watch_report({process(100, "a", 4), process(101, "b", 4), process(102, "c", 4)});
    const auto p = checked(watch_to_openmetrics(tied, 2, kNow));
    CHECK(label_values(p.samples("torchdiag_process_threads"), "pid") == std::set<std::string>{"100", "101"});
  }
}

TEST_CASE("watch metrics: the cgroups of the processes kept by --max-series are reported",
          "[report][openmetrics]") {
  // Cgroups come in the order their processes were found; the busiest process is last.
  const auto r = watch_report({process(100, "a", 1), process(101, "b", 2), process(102, "c", 16)});
  const auto p = checked(watch_to_openmetrics(r, 1, kNow));
  REQUIRE(label_values(p.samples("torchdiag_process_threads"), "pid") == std::set<std::string>{"102"});
  CHECK(label_values(p.samples("torchdiag_cgroup_pool_threads"), "cgroup").count(r.processes[2].cgroup) == 1);
}

TEST_CASE("watch metrics: many processes stay well formed and bounded by --max-series", "[report][openmetrics]") {
  std::vector<WatchedProcess> processes;
  for (int i = 0; i < 200; ++i) processes.push_back(process(1000 + i, "worker-" + std::to_string(i), 1 + i % 10));
  const auto r = watch_report(processes);
  const auto text = watch_to_openmetrics(r, 50, kNow);
  const auto p = checked(text);
  CHECK(p.samples("torchdiag_process_threads").size() == 50);
  CHECK(p.samples("torchdiag_watch_processes_dropped")[0].value == "150");
  // 20 processes each have 10, 9 and 8 threads: the 50 kept are 20 + 20 + 10 of them.
  std::map<std::string, int> kept;
  for (const auto& s : p.samples("torchdiag_process_threads")) ++kept[s.value];
  CHECK(kept == std::map<std::string, int>{{"10", 20}, {"9", 20}, {"8", 10}});
  CHECK(text.size() < 200 * 1000);
}

// ---- recommend ---------------------------------------------------------------------------

TEST_CASE("recommend metrics: recommended_threads per numeric variable only", "[report][openmetrics]") {
  Recommendation rec;
  rec.mode = RecommendMode::kQuick;
  rec.omp_num_threads = 3;
  rec.facts.usable_threads = 3;
  EnvSetting omp;
  omp.name = "OMP_NUM_THREADS";
  omp.value = "3";
  EnvSetting mkl;
  mkl.name = "MKL_NUM_THREADS";
  mkl.value = "3";
  mkl.source = SettingSource::kFollows;
  EnvSetting policy;
  policy.name = "OMP_WAIT_POLICY";
  policy.value = "passive";
  EnvSetting preload;
  preload.name = "LD_PRELOAD";
  preload.value = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
  rec.env = {omp, policy, mkl, preload};
  const auto p = checked(recommend_to_openmetrics(rec));
  const auto threads = p.samples("torchdiag_recommended_threads");
  REQUIRE(threads.size() == 2);
  CHECK(threads[0].labels == Labels{{"variable", "OMP_NUM_THREADS"}});
  CHECK(threads[0].value == "3");
  CHECK(threads[1].labels == Labels{{"variable", "MKL_NUM_THREADS"}});
  CHECK(threads[1].value == "3");
  REQUIRE(p.samples("torchdiag_recommend_info").size() == 1);
  CHECK(p.samples("torchdiag_recommend_info")[0].labels == Labels{{"mode", "quick"}});
  CHECK(p.samples("torchdiag_recommend_info")[0].value == "1");
  REQUIRE(p.samples("torchdiag_usable_threads").size() == 1);
  CHECK(p.samples("torchdiag_usable_threads")[0].value == "3");
  CHECK(p.samples("torchdiag_build_info").size() == 1);
  rec.mode = RecommendMode::kMeasure;
  rec.env = {policy};
  const auto measured = checked(recommend_to_openmetrics(rec));
  CHECK(measured.samples("torchdiag_recommend_info")[0].label("mode") == "measure");
  CHECK_FALSE(measured.has("torchdiag_recommended_threads"));
}
