#include "report/bench_json.h"

#include <algorithm>

#include <fmt/format.h>

#include "report/format.h"
#include "report/inspect_json.h"
#include "report/op_profile_render.h"

namespace torchdiag {

using nlohmann::json;

namespace {

json opt(const std::optional<int>& v) { return v ? json(*v) : json(nullptr); }
json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

/// Share of CPU time spinning in the OpenMP runtime, how it was obtained, and the samples.
json spin_json(const BenchRow& r) {
  const auto& c = r.counters;
  const bool ok = r.status == RowStatus::kOk;
  return {{"spin_fraction", ok ? opt(c.spin_fraction) : json(nullptr)},
          {"spin_method", to_string(ok ? c.spin_method : SpinMethod::kUnavailable)},
          {"spin_reason", !ok ? json("no result") : c.spin_reason.empty() ? json(nullptr) : json(c.spin_reason)},
          {"kernel_fraction", ok ? opt(c.kernel_fraction) : json(nullptr)},
          {"spin_samples", {{"total", c.spin_samples_total}, {"openmp", c.spin_samples_openmp},
                            {"kernel", c.spin_samples_kernel}, {"lost", c.spin_samples_lost}}}};
}

json counters_json(const BenchRow& r) {
  const auto& c = r.counters;
  const bool ok = r.status == RowStatus::kOk;
  json j;
  json per = json::object(), unavailable = json::object();
  for (const auto& [name, value] : c.perf) per[name] = per_op(value, r.iterations);
  for (const auto& [name, reason] : c.perf_unavailable) unavailable[name] = reason;
  j["counters"] = ok ? per : json(nullptr);
  j["counters_unavailable"] = unavailable;
  j["counters_multiplexed"] = c.perf_multiplexed;
  j["counters_user_only"] = c.perf_user_only;
  j["cpu_time_per_op_s"] = ok ? json(per_op(c.cpu_time_s, r.iterations)) : json(nullptr);
  // perf's context-switches when it could count, else getrusage's (the same events).
  const auto cs = c.perf_value("context-switches");
  j["context_switches_per_op"] = ok ? json(per_op(c.context_switches(), r.iterations)) : json(nullptr);
  j["context_switches_source"] = cs ? "perf" : "getrusage";
  const auto migrations = c.perf_value("cpu-migrations");
  j["cpu_migrations_per_op"] = ok && migrations ? json(per_op(*migrations, r.iterations)) : json(nullptr);
  j["involuntary_switches_per_op"] =
      r.status == RowStatus::kOk ? json(per_op(static_cast<double>(c.involuntary_switches), r.iterations))
                       : json(nullptr);
  j.update(spin_json(r));
  if (c.throttle && r.status == RowStatus::kOk) {
    j["throttled_fraction"] = c.throttle->throttled_fraction();
    j["throttled_s_per_op"] = per_op(c.throttle->throttled_s, r.iterations);
    j["throttled_periods"] = c.throttle->nr_throttled;
    j["periods"] = c.throttle->nr_periods;
  } else {
    j["throttled_fraction"] = nullptr;
    j["throttled_s_per_op"] = nullptr;
    j["throttle_unavailable"] = r.status == RowStatus::kOk ? c.throttle_reason : "no result";
  }
  return j;
}

}  // namespace

json bench_row_to_json(const BenchRow& r) {
  const bool ok = r.status == RowStatus::kOk;
  json j = {{"workload", to_string(r.spec.workload)},
            {"model", r.spec.workload == Workload::kForward ? json(r.model_label) : json(nullptr)},
            {"threads", opt(r.spec.threads)},
            {"threads_label", threads_label(r.spec)},
            {"interop_threads", opt(r.spec.interop_threads)},
            {"streams", r.spec.streams},
            {"allocator", to_string(r.spec.allocator)},
            {"status", to_string(r.status)},
            {"error", r.error.empty() ? json(nullptr) : json(r.error)},
            {"iterations", r.iterations},
            {"items_per_op", r.items_per_op}};
  if (ok) {
    j["latency_s"] = {{"min", r.latency.min},   {"p10", r.latency.p10}, {"p50", r.latency.p50}, {"p90", r.latency.p90},
                      {"p99", r.latency.p99},   {"mean", r.latency.mean},
                      {"stddev", r.latency.stddev}};
    j["cv"] = r.latency.cv;
    j["outliers"] = r.latency.outliers;
    j["throughput_per_s"] = r.throughput_per_s;
    j["latency_samples_s"] = r.samples_s;
  } else {
    j["latency_s"] = nullptr;
    j["cv"] = nullptr;
    j["outliers"] = nullptr;
    j["throughput_per_s"] = nullptr;
    j["latency_samples_s"] = json::array();
  }
  j["speedup_vs_current"] = opt(r.speedup_vs_current);
  j["best"] = r.best;
  j["intra_op_threads_actual"] = ok ? json(r.intra_op_threads) : json(nullptr);
  j["interop_threads_actual"] = ok ? json(r.interop_threads) : json(nullptr);
  j["jemalloc_active"] = r.jemalloc_active;
  j["load_s"] = r.load_s;
  j["warmup_s"] = r.warmup_s;
  j.update(counters_json(r));
  const auto& m = r.memory;
  j["peak_rss_bytes"] = m.peak_rss_bytes ? json(*m.peak_rss_bytes) : json(nullptr);
  j["mean_rss_bytes"] = m.mean_rss_bytes ? json(*m.mean_rss_bytes) : json(nullptr);
  json timeline = json::array();
  for (const auto& [t, bytes] : m.rss_timeline) timeline.push_back({t, bytes});
  j["rss_timeline"] = timeline;
  if (m.jemalloc) {
    const auto& je = *m.jemalloc;
    j["jemalloc"] = {{"allocated_bytes", je.allocated}, {"active_bytes", je.active},
                     {"resident_bytes", je.resident}, {"mapped_bytes", je.mapped},
                     {"resident_to_allocated", je.allocated > 0 ? json(static_cast<double>(je.resident) /
                                                                       static_cast<double>(je.allocated))
                                                                : json(nullptr)}};
  } else {
    j["jemalloc"] = nullptr;
  }
  if (r.profile) j["profile"] = op_profile_json(*r.profile);
  j["warnings"] = warning_messages(r.warnings);
  return j;
}

json bench_to_json(const BenchReport& report) {
  json ctx = inspect_to_json(report.context);
  ctx.erase("schema");
  ctx["torch_version"] = report.torch_version;
  ctx["host"] = report.host;
  ctx["date"] = report.date;
  ctx["governor"] = report.governor.empty() ? json(nullptr) : json(report.governor);
  ctx["torchdiag_version"] = TORCHDIAG_VERSION;
  json results = json::array();
  for (const auto& r : report.rows) results.push_back(bench_row_to_json(r));
  json comparisons = json::array();
  for (const auto& c : report.comparisons) {
    comparisons.push_back({{"workload", to_string(c.workload)}, {"threads_label", threads_label(c.threads)}, {"streams", c.streams},
                           {"peak_rss_ratio", opt(c.peak_rss_ratio)}, {"mean_rss_ratio", opt(c.mean_rss_ratio)},
                           {"p50_ratio", c.p50_ratio}, {"spread_cv", c.spread},
                           {"p50_within_spread", c.p50_within_spread()}});
  }
  json out = {{"schema", kBenchSchema}, {"context", ctx}, {"results", results},
              {"comparisons", comparisons}, {"warnings", warning_messages(report.warnings)}};
  if (std::any_of(report.rows.begin(), report.rows.end(), [](const BenchRow& r) { return r.profile.has_value(); })) {
    out["op_scaling"] = op_scaling_json(report.op_scaling);
  }
  return out;
}

const std::string& bench_csv_header() {
  static const std::string header =
      "workload,model,threads_label,threads,interop_threads,streams,allocator,status,iterations,"
      "min_s,p50_s,p90_s,p99_s,mean_s,stddev_s,cv,throughput_per_s,speedup_vs_current,"
      "cpu_time_per_op_s,involuntary_switches_per_op,throttled_fraction,best,error";
  return header;
}

namespace {

std::string csv_value(const json& v) {
  if (v.is_null()) return "";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) return fmt::format("{:.9g}", v.get<double>());
  return csv_field(v.get<std::string>());
}

}  // namespace

std::string bench_to_csv(const BenchReport& report) {
  std::string out = bench_csv_header() + "\n";
  for (const auto& r : report.rows) {
    const auto j = bench_row_to_json(r);
    const auto lat = [&](const char* k) { return j["latency_s"].is_null() ? json(nullptr) : j["latency_s"][k]; };
    const json fields[] = {j["workload"], j["model"], j["threads_label"], j["threads"],
                           j["interop_threads"], j["streams"], j["allocator"], j["status"],
                           j["iterations"], lat("min"), lat("p50"), lat("p90"), lat("p99"),
                           lat("mean"), lat("stddev"), j["cv"], j["throughput_per_s"],
                           j["speedup_vs_current"], j["cpu_time_per_op_s"],
                           j["involuntary_switches_per_op"], j["throttled_fraction"], j["best"],
                           j["error"]};
    std::string line;
    bool first = true;
    for (const auto& f : fields) {
      line += (first ? "" : ",") + csv_value(f);
      first = false;
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace torchdiag
