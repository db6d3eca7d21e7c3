#include "wire/codecs.h"

#include "util/strings.h"

namespace torchdiag::wire {
namespace {

using nlohmann::json;

template <class T>
json optional_json(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json string_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

std::optional<double> optional_number(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

std::string string_or_empty(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

Expected<BenchSpec> checked(BenchSpec s) {
  if (s.streams < 1 || s.repetitions < 1 || s.warmup < 0 || s.min_time_s < 0 || !(s.start_at_s >= 0)) {
    return Expected<BenchSpec>::failure("streams and repetitions must be >= 1, warmup, min_time and start_at >= 0");
  }
  return s;
}

}  // namespace

json spec_to_json(const BenchSpec& s) {
  json inputs = json::array();
  for (const auto& in : s.inputs) inputs.push_back({{"shape", in.shape}, {"dtype", in.dtype}});
  json j = {{"workload", to_string(s.workload)}, {"inputs", inputs}, {"freeze", s.freeze},
            {"rows", s.rows}, {"cols", s.cols}, {"indices", s.indices},
            {"interop_threads", optional_json(s.interop_threads)}, {"streams", s.streams},
            {"warmup", s.warmup}, {"min_time_s", s.min_time_s}, {"repetitions", s.repetitions},
            {"max_iterations", s.max_iterations}, {"events", s.events}, {"duration_s", s.duration_s},
            {"vary_batch", s.vary_batch}, {"start_at_s", s.start_at_s}, {"test_hook", s.test_hook},
            {"profile_calls", s.profile_calls}, {"profile_shapes", s.profile_shapes}};
  // JSON strings are UTF-8; a path is any bytes, so one that is not UTF-8 travels as hex.
  if (sanitize_utf8(s.model) == s.model) {
    j["model"] = s.model;
  } else {
    j["model_hex"] = hex_encode(s.model);
  }
  return j;
}

Expected<BenchSpec> spec_from_json(const json& j) {
  BenchSpec s;
  try {
    const auto workload = parse_enum<Workload>(j.value("workload", ""));
    if (!workload) return Expected<BenchSpec>::failure("unknown workload '" + j.value("workload", "") + "'");
    s.workload = *workload;
    s.model = j.value("model", s.model);
    if (j.contains("model_hex")) {
      const auto path = hex_decode(j.at("model_hex").get<std::string>());
      if (!path) return Expected<BenchSpec>::failure("model_hex is not hex");
      s.model = *path;
    }
    for (const auto& in : j.value("inputs", json::array())) {
      s.inputs.push_back({in.at("shape").get<std::vector<int64_t>>(), in.value("dtype", "float32")});
    }
    s.freeze = j.value("freeze", false);
    s.rows = j.value("rows", s.rows);
    s.cols = j.value("cols", s.cols);
    s.indices = j.value("indices", s.indices);
    if (j.contains("interop_threads") && !j["interop_threads"].is_null()) {
      s.interop_threads = j["interop_threads"].get<int>();
    }
    s.streams = j.value("streams", 1);
    s.warmup = j.value("warmup", s.warmup);
    s.min_time_s = j.value("min_time_s", s.min_time_s);
    s.repetitions = j.value("repetitions", s.repetitions);
    s.max_iterations = j.value("max_iterations", s.max_iterations);
    s.test_hook = j.value("test_hook", "");
    s.events = j.value("events", std::vector<std::string>{});
    s.duration_s = j.value("duration_s", 0.0);
    s.vary_batch = j.value("vary_batch", false);
    s.start_at_s = j.value("start_at_s", 0.0);
    s.profile_calls = j.value("profile_calls", 0);
    s.profile_shapes = j.value("profile_shapes", false);
  } catch (const json::exception& e) {
    return Expected<BenchSpec>::failure(std::string("bad bench spec: ") + e.what());
  }
  return checked(std::move(s));
}

json counters_to_json(const WindowCounters& c) {
  json j = {{"cpu_time_s", c.cpu_time_s},
            {"voluntary_switches", c.voluntary_switches},
            {"involuntary_switches", c.involuntary_switches}};
  json perf = json::object(), unavailable = json::object();
  for (const auto& [name, value] : c.perf) perf[name] = value;
  for (const auto& [name, reason] : c.perf_unavailable) unavailable[name] = reason;
  j["perf"] = perf;
  j["perf_unavailable"] = unavailable;
  j["perf_multiplexed"] = c.perf_multiplexed;
  j["perf_user_only"] = c.perf_user_only;
  j["spin_fraction"] = optional_json(c.spin_fraction);
  j["kernel_fraction"] = optional_json(c.kernel_fraction);
  j["spin_method"] = to_string(c.spin_method);
  j["spin_reason"] = c.spin_reason;
  j["spin_samples"] = {{"total", c.spin_samples_total}, {"openmp", c.spin_samples_openmp},
                       {"kernel", c.spin_samples_kernel}, {"lost", c.spin_samples_lost}};
  if (c.throttle) {
    j["throttle"] = {{"nr_periods", c.throttle->nr_periods},
                     {"nr_throttled", c.throttle->nr_throttled},
                     {"throttled_s", c.throttle->throttled_s}};
  } else {
    j["throttle"] = nullptr;
    j["throttle_reason"] = c.throttle_reason;
  }
  return j;
}

WindowCounters counters_from_json(const json& j) {
  WindowCounters c;
  c.cpu_time_s = j.value("cpu_time_s", 0.0);
  c.voluntary_switches = j.value("voluntary_switches", 0LL);
  c.involuntary_switches = j.value("involuntary_switches", 0LL);
  const auto perf = j.value("perf", json::object());  // items() must not outlive its object
  for (const auto& [name, value] : perf.items()) c.perf.emplace_back(name, value.get<double>());
  const auto unavailable = j.value("perf_unavailable", json::object());
  for (const auto& [name, reason] : unavailable.items()) c.perf_unavailable.emplace_back(name, reason.get<std::string>());
  c.perf_multiplexed = j.value("perf_multiplexed", false);
  c.perf_user_only = j.value("perf_user_only", false);
  c.spin_fraction = optional_number(j, "spin_fraction");
  c.kernel_fraction = optional_number(j, "kernel_fraction");
  c.spin_method = parse_enum<SpinMethod>(j.value("spin_method", "")).value_or(SpinMethod::kUnavailable);
  c.spin_reason = j.value("spin_reason", std::string("the worker did not report spin"));
  const auto samples = j.value("spin_samples", json::object());
  c.spin_samples_total = samples.value("total", int64_t{0});
  c.spin_samples_openmp = samples.value("openmp", int64_t{0});
  c.spin_samples_kernel = samples.value("kernel", int64_t{0});
  c.spin_samples_lost = samples.value("lost", int64_t{0});
  if (j.contains("throttle") && j["throttle"].is_object()) {
    const auto& t = j["throttle"];
    c.throttle = CpuStat{t.value("nr_periods", 0LL), t.value("nr_throttled", 0LL), t.value("throttled_s", 0.0)};
  } else {
    c.throttle_reason = j.value("throttle_reason", "unknown");
  }
  return c;
}

json threadpools_to_json(const std::vector<ThreadPoolLib>& pools) {
  json arr = json::array();
  for (const auto& p : pools) {
    arr.push_back({{"library", p.library}, {"api", to_string(p.api)}, {"path", p.path}, {"threads", optional_json(p.threads)}});
  }
  return arr;
}

json torch_facts_to_json(const TorchFacts& t) {
  if (!t.available) return {{"available", false}, {"reason", t.reason}};
  return {{"available", true},
          {"version", t.version},
          {"backend", t.backend},
          {"intra_op_threads", t.intra_op_threads},
          {"interop_threads", t.interop_threads},
          {"openmp_runtime", string_or_null(t.openmp_runtime)},
          {"omp_max_threads", optional_json(t.omp_max_threads)},
          {"mkl", t.mkl},
          {"mkldnn", t.mkldnn},
          {"blas", string_or_null(t.blas)},
          {"blas_is_reference", t.blas_is_reference},
          {"threadpools", threadpools_to_json(t.threadpools)},
          {"allocator", t.allocator},
          {"jemalloc_path", string_or_null(t.jemalloc_path)},
          {"parallel_info", t.parallel_info},
          {"config", t.config},
          {"worker_start_s", t.worker_start_s}};
}

TorchFacts torch_facts_from_json(const json& j) {
  TorchFacts t;
  t.available = j.value("available", false);
  t.reason = j.value("reason", "");
  if (!t.available) return t;
  t.version = j.value("version", "");
  t.backend = j.value("backend", "");
  t.intra_op_threads = j.value("intra_op_threads", 0);
  t.interop_threads = j.value("interop_threads", 0);
  t.openmp_runtime = string_or_empty(j, "openmp_runtime");
  if (const auto v = optional_number(j, "omp_max_threads")) t.omp_max_threads = static_cast<int>(*v);
  t.mkl = j.value("mkl", false);
  t.mkldnn = j.value("mkldnn", false);
  t.blas = string_or_empty(j, "blas");
  t.blas_is_reference = j.value("blas_is_reference", false);
  for (const auto& p : j.value("threadpools", json::array())) {
    ThreadPoolLib lib{p.value("library", ""), parse_enum<PoolApi>(p.value("api", "")).value_or(PoolApi::kBlas), p.value("path", ""), std::nullopt};
    if (const auto v = optional_number(p, "threads")) lib.threads = static_cast<int>(*v);
    t.threadpools.push_back(lib);
  }
  t.allocator = j.value("allocator", "");
  t.jemalloc_path = string_or_empty(j, "jemalloc_path");
  t.parallel_info = j.value("parallel_info", "");
  t.config = j.value("config", "");
  return t;
}

json profile_sample_to_json(const ProfileSample& p) {
  json events = json::array();
  for (const auto& e : p.events) events.push_back({e.name, e.thread, e.start_us, e.dur_us, e.depth, e.shapes});
  return {{"calls", p.calls}, {"events", events}, {"truncated", p.truncated}, {"error", p.error}};
}

ProfileSample profile_sample_from_json(const json& j) {
  ProfileSample p;
  p.calls = j.value("calls", 0);
  p.truncated = j.value("truncated", false);
  p.error = j.value("error", "");
  for (const auto& e : j.at("events")) {
    if (p.events.size() >= kMaxProfileEvents) {
      p.truncated = true;
      break;
    }
    p.events.push_back({e.at(0).get<std::string>(), e.at(1).get<int>(), e.at(2).get<double>(), e.at(3).get<double>(),
                        e.at(4).get<int>(), e.at(5).get<std::string>()});
  }
  return p;
}

json worker_result_to_json(const WorkerResult& r) {
  json reps = json::array();
  for (const auto& rep : r.repetitions) reps.push_back({{"wall_s", rep.wall_s}, {"latencies_s", rep.latencies_s}});
  json jemalloc = nullptr;
  if (r.jemalloc) {
    jemalloc = {{"allocated", r.jemalloc->allocated}, {"active", r.jemalloc->active},
                {"resident", r.jemalloc->resident}, {"mapped", r.jemalloc->mapped}};
  }
  return {{"repetitions", reps}, {"jemalloc", jemalloc}, {"items_per_op", r.items_per_op},
          {"model", r.model_label}, {"load_s", r.load_s}, {"warmup_s", r.warmup_s},
          {"intra_op_threads", r.intra_op_threads}, {"interop_threads", r.interop_threads},
          {"jemalloc_active", r.jemalloc_active},
          {"counters", r.counters ? counters_to_json(*r.counters) : json(nullptr)},
          {"profile", r.profile ? profile_sample_to_json(*r.profile) : json(nullptr)}};
}

Expected<WorkerResult> worker_result_from_json(const json& j) {
  WorkerResult r;
  try {
    for (const auto& rep : j.at("repetitions")) {
      r.repetitions.push_back(
          {rep.at("wall_s").get<double>(), rep.at("latencies_s").get<std::vector<std::vector<double>>>()});
    }
    if (j.contains("jemalloc") && j["jemalloc"].is_object()) {
      const auto& je = j["jemalloc"];
      r.jemalloc = JemallocFigures{je.value("allocated", int64_t{0}), je.value("active", int64_t{0}),
                                   je.value("resident", int64_t{0}), je.value("mapped", int64_t{0})};
    }
    r.items_per_op = j.value("items_per_op", int64_t{1});
    r.model_label = j.value("model", "");
    r.load_s = j.value("load_s", 0.0);
    r.warmup_s = j.value("warmup_s", 0.0);
    r.intra_op_threads = j.value("intra_op_threads", 0);
    r.interop_threads = j.value("interop_threads", 0);
    r.jemalloc_active = j.value("jemalloc_active", false);
    if (j.contains("counters") && j["counters"].is_object()) r.counters = counters_from_json(j["counters"]);
    if (j.contains("profile") && j["profile"].is_object()) r.profile = profile_sample_from_json(j["profile"]);
  } catch (const json::exception& e) {
    return Expected<WorkerResult>::failure(std::string("malformed worker result: ") + e.what());
  }
  return r;
}

}  // namespace torchdiag::wire
