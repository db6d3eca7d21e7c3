#include "bench/sweep_options.h"

#include <climits>
#include <cstdlib>

#include <fmt/format.h>

#include "bench/input_spec.h"
#include "sys/loaded_libs.h"
#include "sys/perf_counters.h"
#include "sys/subprocess.h"
#include "sys/worker_path.h"
#include "util/model_file.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

template <class T>
Expected<T> fail(std::string why) {
  return Expected<T>::failure(std::move(why));
}

/// Model path (made absolute: the worker runs elsewhere) and forward inputs.
std::string check_model_and_inputs(const SweepOptions& o, BenchSpec& s) {
  if (!s.model.empty()) {
    if (const auto why = check_model_file(s.model); !why.empty()) {
      return fmt::format("cannot load model '{}': {}", s.model, why);
    }
    char buf[PATH_MAX];
    if (::realpath(s.model.c_str(), buf)) s.model = buf;
    if (o.inputs.empty()) return "--model needs at least one --input shape (e.g. --input 1x3x224x224)";
  }
  for (const auto& text : o.inputs) {
    InputSpec in;
    if (const auto err = parse_input_spec(text, in); !err.empty()) return fmt::format("--input '{}': {}", text, err);
    s.inputs.push_back(in);
  }
  return "";
}

std::string check_counts(const SweepOptions& o, BenchSpec& s) {
  if (s.rows < 1 || s.cols < 1 || s.indices < 1) return "--rows, --cols and --indices must be at least 1";
  if (o.interop < 0 || o.interop > kMaxThreads) return fmt::format("--interop {}: out of range 1..{}", o.interop, kMaxThreads);
  if (o.interop > 0) s.interop_threads = o.interop;
  if (s.warmup < 0) return "--warmup must be 0 or more";
  if (s.repetitions < 1 || s.repetitions > 1000) return "--repetitions must be 1..1000";
  if (!(s.min_time_s >= 0 && s.min_time_s <= 3600)) return "--min-time must be 0..3600 seconds";
  if (!(s.timeout_s > 0)) return "--timeout must be more than 0 seconds";
  return "";
}

std::string check_soak(const SweepOptions& o, BenchSpec& s) {
  if (!o.duration_s && !o.vary_batch) return "";
  if (!o.duration_s) return "--vary-batch belongs to a soak: give --duration SECONDS";
  if (!(*o.duration_s > 0 && *o.duration_s <= 7 * 86400)) {
    return "--duration must be more than 0 seconds (and at most a week)";
  }
  s.duration_s = *o.duration_s;
  s.vary_batch = o.vary_batch;
  s.timeout_s = std::max(s.timeout_s, *o.duration_s + 300);
  return "";
}

std::string check_events(const SweepOptions& o, BenchSpec& s) {
  if (o.events.empty()) return "";
  for (const auto raw : split(o.events, ',')) {
    const std::string name(trim(raw));
    if (const auto err = check_perf_event_name(name); !err.empty()) {
      return fmt::format("--events '{}': libpfm4 cannot encode it: {}", name, err);
    }
    s.events.push_back(name);
  }
  return "";
}

/// "crash@2" -> the configurations with threads label "2" get test_hook "crash".
void apply_test_hook(std::vector<BenchSpec>& plan) {
  const char* hook = std::getenv("TORCHDIAG_TEST_HOOK");
  if (!hook) return;
  const std::string text = hook;
  const auto at = text.find('@');
  if (at == std::string::npos) return;
  for (auto& c : plan) {
    if (threads_label(c) == text.substr(at + 1)) c.test_hook = text.substr(0, at);
  }
}

}  // namespace

Expected<BenchSpec> base_spec(const SweepOptions& o) {
  BenchSpec s = o.spec;
  for (const auto& check : {check_model_and_inputs, check_counts, check_soak, check_events}) {
    if (auto err = check(o, s); !err.empty()) return fail<BenchSpec>(std::move(err));
  }
  return s;
}

Expected<std::vector<Workload>> parse_workloads(const std::vector<std::string>& names,
                                                const std::vector<Workload>& fallback) {
  if (names.empty()) return fallback;
  std::vector<std::string> known;
  for (const auto& [w, name] : names_of(Workload{})) known.emplace_back(name);
  std::vector<Workload> out;
  for (const auto& n : names) {
    const auto w = parse_enum<Workload>(n);
    if (!w) {
      return fail<std::vector<Workload>>(fmt::format("--workload '{}': unknown workload (expected {}){}", n,
                                                     join(known, " or "), did_you_mean(n, known)));
    }
    out.push_back(*w);
  }
  return out;
}

Expected<std::vector<Allocator>> parse_allocators(const std::string& text) {
  std::vector<Allocator> out;
  for (const auto raw : split(text, ',')) {
    const auto name = trim(raw);
    const auto a = parse_enum<Allocator>(name);
    if (!a) {
      return fail<std::vector<Allocator>>(
          fmt::format("--allocator '{}': unknown allocator (expected glibc or jemalloc)", name));
    }
    if (*a == Allocator::kJemalloc && installed_jemalloc().empty()) {
      return fail<std::vector<Allocator>>(
          "--allocator jemalloc: libjemalloc.so.2 is not installed (apt-get install libjemalloc2)");
    }
    out.push_back(*a);
  }
  return out;
}

Expected<WorkerLaunch> local_worker_launch() {
  const auto worker = find_worker();
  if (!worker.ok()) return fail<WorkerLaunch>(worker.reason);
  return WorkerLaunch{*worker.value, current_environment(), installed_jemalloc(), nullptr, false};
}

std::vector<BenchRow> run_worker_sweep(std::vector<BenchSpec> plan, const WorkerLaunch& launch,
                                       SweepObserver* observer, double deadline_s) {
  apply_test_hook(plan);
  return run_sweep(plan, [&](const BenchSpec& c) { return run_in_worker(c, launch); }, observer, deadline_s);
}

}  // namespace torchdiag
