#include "probe/cgroup_files.h"

#include <limits>

#include "util/strings.h"

namespace torchdiag {
namespace {

QuotaParse quota_error(std::string message) { return QuotaParse{CpuQuota{}, std::move(message)}; }

}  // namespace

std::vector<CgroupLine> parse_proc_cgroup(std::string_view text) {
  std::vector<CgroupLine> lines;
  for (const auto raw : split(text, '\n')) {
    const auto line = trim(raw);
    const auto c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    const auto c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    const auto id = parse_int(line.substr(0, c1));
    if (!id || *id < 0 || *id > std::numeric_limits<int>::max()) continue;  // 2^32 must not become 0 (v2)
    CgroupLine out;
    out.hierarchy_id = static_cast<int>(*id);
    const auto list = line.substr(c1 + 1, c2 - c1 - 1);
    if (!list.empty()) {
      for (const auto c : split(list, ',')) out.controllers.emplace_back(c);
    }
    out.path = std::string(line.substr(c2 + 1));
    if (out.path.empty()) continue;
    lines.push_back(std::move(out));
  }
  return lines;
}

QuotaParse parse_cpu_max(std::string_view text) {
  const auto fields = split_ws(trim(text));
  if (fields.empty()) return quota_error("empty file");
  if (fields.size() > 2) return quota_error("expected 'QUOTA PERIOD'");
  QuotaParse out;
  if (fields.size() == 2) {
    const auto period = parse_int(fields[1]);
    if (!period) return quota_error("period is not a number");
    if (*period <= 0) return quota_error("period is zero or negative");
    out.quota.period_us = *period;
  }
  if (fields[0] == "max") return out;
  const auto quota = parse_int(fields[0]);
  if (!quota) return quota_error("quota is neither 'max' nor a number");
  if (*quota <= 0) return quota_error("quota is zero or negative");
  if (fields.size() != 2) return quota_error("quota without a period");
  out.quota.limited = true;
  out.quota.quota_us = *quota;
  return out;
}

QuotaParse parse_cfs_quota(std::string_view quota_text, std::string_view period_text) {
  const auto quota_field = trim(quota_text);
  if (quota_field.empty()) return quota_error("empty cpu.cfs_quota_us");
  const auto quota = parse_int(quota_field);
  if (!quota) return quota_error("cpu.cfs_quota_us is not a number");
  QuotaParse out;
  if (*quota < 0) return out;  // -1: no limit
  if (*quota == 0) return quota_error("cpu.cfs_quota_us is zero");
  const auto period = parse_int(trim(period_text));
  if (!period) return quota_error("cpu.cfs_period_us is missing or not a number");
  if (*period <= 0) return quota_error("cpu.cfs_period_us is zero or negative");
  out.quota = CpuQuota{true, *quota, *period};
  return out;
}

std::optional<CpuStat> parse_cpu_stat(std::string_view text) {
  CpuStat stat;
  bool have_periods = false;
  bool have_throttled = false;
  for (const auto line : split(text, '\n')) {
    const auto fields = split_ws(trim(line));
    if (fields.size() != 2) continue;
    const auto value = parse_int(fields[1]);
    if (!value) continue;
    if (fields[0] == "nr_periods") {
      stat.nr_periods = *value;
      have_periods = true;
    } else if (fields[0] == "nr_throttled") {
      stat.nr_throttled = *value;
      have_throttled = true;
    } else if (fields[0] == "throttled_time") {
      stat.throttled_s = static_cast<double>(*value) * 1e-9;
    } else if (fields[0] == "throttled_usec") {
      stat.throttled_s = static_cast<double>(*value) * 1e-6;
    }
  }
  if (!have_periods || !have_throttled) return std::nullopt;
  return stat;
}

std::optional<Pressure> parse_pressure(std::string_view text) {
  for (const auto line : split(text, '\n')) {
    const auto fields = split_ws(trim(line));
    if (fields.empty() || fields[0] != "some") continue;
    Pressure p;
    int seen = 0;
    for (size_t i = 1; i < fields.size(); ++i) {
      const auto eq = fields[i].find('=');
      if (eq == std::string_view::npos) return std::nullopt;
      const auto key = fields[i].substr(0, eq);
      const auto val = fields[i].substr(eq + 1);
      if (key == "total") {
        const auto v = parse_int(val);
        if (!v) return std::nullopt;
        p.some_total_us = *v;
        ++seen;
        continue;
      }
      const auto v = parse_double(val);
      if (!v) return std::nullopt;
      if (key == "avg10") p.some_avg10 = *v;
      if (key == "avg60") p.some_avg60 = *v;
      if (key == "avg300") p.some_avg300 = *v;
      ++seen;
    }
    if (seen == 0) return std::nullopt;
    return p;
  }
  return std::nullopt;
}

}  // namespace torchdiag
