#include "torch/bench_runner.h"

#include <ATen/Parallel.h>
#include <torch/script.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <random>
#include <csignal>
#include <thread>

#include "sys/loaded_libs.h"
#include "torch/builtin_model.h"
#include "torch/model_loader.h"
#include "torch/op_profiler.h"
#include "util/error_cause.h"

namespace torchdiag {
namespace {

using Clock = std::chrono::steady_clock;

/// Profiled calls stop once this much time has passed (at least one call runs).
constexpr double kMaxProfileSeconds = 1.0;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

at::ScalarType dtype_of(const std::string& d) {
  if (d == "float64" || d == "double") return at::kDouble;
  if (d == "float16" || d == "half") return at::kHalf;
  if (d == "bfloat16") return at::kBFloat16;
  if (d == "int64" || d == "long") return at::kLong;
  if (d == "int32" || d == "int") return at::kInt;
  if (d == "int16") return at::kShort;
  if (d == "int8") return at::kChar;
  if (d == "uint8") return at::kByte;
  if (d == "bool") return at::kBool;
  return at::kFloat;
}

at::Tensor make_input(const InputSpec& in) {
  const auto type = dtype_of(in.dtype);
  if (at::isFloatingType(type)) return torch::randn(in.shape).to(type);
  if (type == at::kBool) return torch::randint(0, 2, in.shape).to(at::kBool);
  return torch::randint(0, 10, in.shape).to(type);
}

/// The operation being timed, callable from several threads at once.
using Op = std::function<void()>;

struct Prepared {
  Op op;
  int64_t items_per_op = 1;
  std::string model_label;
  std::string schema;
};

Prepared prepare_index_select(const BenchSpec& s) {
  auto table = std::make_shared<at::Tensor>(torch::randn({s.rows, s.cols}));
  auto idx = std::make_shared<at::Tensor>(torch::randint(0, s.rows, {s.indices}, at::kLong));
  Prepared p;
  p.op = [table, idx] { (void)table->index_select(0, *idx); };
  p.items_per_op = 1;
  p.model_label = "";
  return p;
}

Prepared prepare_forward(const BenchSpec& s) {
  auto module = std::make_shared<torch::jit::Module>(s.model.empty() ? make_builtin_model()
                                                                     : load_model(s.model, s.freeze));
  if (s.model.empty() && s.freeze) {
    auto frozen = torch::jit::freeze(*module);
    *module = torch::jit::optimize_for_inference(frozen);
  }
  std::vector<InputSpec> specs = s.inputs;
  if (specs.empty()) {
    if (!s.model.empty()) throw ModelError("--input is required for a model file (e.g. --input 1x3x224x224)");
    specs.push_back({builtin_input_shape(), "float32"});
  }
  auto inputs = std::make_shared<std::vector<c10::IValue>>();
  for (const auto& in : specs) inputs->push_back(make_input(in));
  Prepared p;
  p.items_per_op = specs.front().shape.empty() ? 1 : specs.front().shape.front();
  p.model_label = s.model.empty() ? "builtin" : s.model;
  p.schema = forward_schema(*module);
  if (s.vary_batch) {
    // New inputs with a random batch size (1 .. 2 x the given one) on every call:
    // the allocation pattern that fragments a malloc heap over a long run.
    p.op = [module, specs] {
      thread_local std::mt19937 rng(std::random_device{}());
      std::vector<c10::IValue> fresh;
      const auto batch = specs.front().shape.empty() ? 1 : specs.front().shape.front();
      std::uniform_int_distribution<int64_t> pick(1, 2 * batch);
      const auto b = pick(rng);
      for (auto in : specs) {
        if (!in.shape.empty()) in.shape.front() = b;
        fresh.push_back(make_input(in));
      }
      c10::InferenceMode guard;
      (void)module->forward(fresh);
    };
    return p;
  }
  p.op = [module, inputs] {
    c10::InferenceMode guard;
    (void)module->forward(*inputs);
  };
  return p;
}

/// Releases all streams at once so their timed loops overlap fully.
class StartGate {
 public:
  void wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }
  void open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

/// Runs fn(k) for k = 0..streams-1 concurrently: stream 0 on the calling thread, the
/// others on new threads. Stream 0 stays on one thread for warm-up and every
/// repetition, as an application's inference thread does: libgomp keeps one thread
/// team per calling thread, so a fresh caller would pay for a new team. The first
/// exception thrown by any stream is rethrown.
template <class Fn>
void run_streams(int streams, Fn fn) {
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(streams));
  const auto guarded = [&](int k) {
    try {
      fn(k);
    } catch (...) {
      errors[static_cast<size_t>(k)] = std::current_exception();
    }
  };
  for (int k = 1; k < streams; ++k) pool.emplace_back(guarded, k);
  guarded(0);
  for (auto& t : pool) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

/// One repetition: every stream calls op until min_time has passed.
RepetitionSamples run_repetition(const BenchSpec& s, const Op& op) {
  RepetitionSamples rep;
  rep.latencies_s.resize(static_cast<size_t>(s.streams));
  StartGate gate;
  Clock::time_point t0;
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let the streams park
    t0 = Clock::now();
    gate.open();
  });
  run_streams(s.streams, [&](int k) {
    gate.wait();
    auto& mine = rep.latencies_s[static_cast<size_t>(k)];
    const auto begin = Clock::now();
    while (static_cast<int64_t>(mine.size()) < s.max_iterations) {
      const auto a = Clock::now();
      op();
      mine.push_back(since(a));
      if (since(begin) >= s.min_time_s) break;
    }
  });
  opener.join();
  rep.wall_s = since(t0);
  return rep;
}

void warm_up(const BenchSpec& s, const Op& op) {
  run_streams(s.streams, [&](int) {
    for (int i = 0; i < s.warmup; ++i) op();
  });
}

void apply_test_hook(const std::string& hook) {
  if (hook == "crash") std::raise(SIGSEGV);
  if (hook == "hang") std::this_thread::sleep_for(std::chrono::hours(1));
}

/// Sleeps until the steady clock reads `at_s` seconds (the shared start of side-by-side
/// workers); at most kMaxStartWaitS, so a wrong time never stalls a worker for long.
void wait_until(double at_s) {
  constexpr double kMaxStartWaitS = 60;
  if (!(at_s > 0)) return;
  const double now = std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
  const double wait = std::min(at_s - now, kMaxStartWaitS);
  if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
}

}  // namespace

int run_bench_request(const BenchSpec& spec, const WindowHooks& hooks,
                      const std::function<void(const wire::Message&)>& emit) {
  BenchSpec s = spec;
  if (s.interop_threads) at::set_num_interop_threads(*s.interop_threads);
  const auto load_start = Clock::now();
  Prepared p;
  try {
    p = s.workload == Workload::kForward ? prepare_forward(s) : prepare_index_select(s);
  } catch (const std::exception& e) {
    emit(wire::ErrorMessage{wire::ErrorKind::kModel, error_cause(e.what())});
    return 1;
  }
  WorkerResult result;
  result.load_s = since(load_start);
  const auto warm_start = Clock::now();
  try {
    warm_up(s, p.op);
  } catch (const std::exception& e) {
    std::string msg = "forward failed: " + error_cause(e.what());
    if (!p.schema.empty()) msg += " (expected " + p.schema + ")";
    emit(wire::ErrorMessage{wire::ErrorKind::kModel, msg});
    return 1;
  }
  result.warmup_s = since(warm_start);
  if (s.duration_s > 0) {  // a soak run: one long repetition
    s.min_time_s = s.duration_s;
    s.repetitions = 1;
  }
  apply_test_hook(s.test_hook);
  wait_until(s.start_at_s);
  emit(wire::PhaseChange{wire::Phase::kTimedStart});
  if (hooks.start) hooks.start();
  for (int r = 0; r < s.repetitions; ++r) result.repetitions.push_back(run_repetition(s, p.op));
  if (hooks.end) result.counters = hooks.end();
  emit(wire::PhaseChange{wire::Phase::kTimedEnd});
  if (s.profile_calls > 0) {
    // After the window: the profiler's cost never reaches a timed call.
    try {
      result.profile = profile_calls(p.op, s.profile_calls, kMaxProfileSeconds, s.profile_shapes);
    } catch (const std::exception& e) {
      result.profile = ProfileSample{};
      result.profile->error = "profiling failed: " + error_cause(e.what());
    }
  }
  result.jemalloc = jemalloc_stats();
  result.items_per_op = p.items_per_op;
  result.model_label = p.model_label;
  result.intra_op_threads = at::get_num_threads();
  result.interop_threads = at::get_num_interop_threads();
  result.jemalloc_active = result.jemalloc.has_value();
  emit(wire::ResultMessage{std::move(result)});
  return 0;
}

}  // namespace torchdiag
