// The worker protocol: every request and message survives encode then decode, field
// for field, and lines that are not the protocol are refused with a reason (never an
// exception).
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/strings.h"
#include "wire/protocol.h"

using namespace torchdiag;
using nlohmann::json;

namespace {

/// An encoded line is one line of valid UTF-8 JSON.
void check_line(const std::string& line) {
  CHECK(line.find('\n') == std::string::npos);
  CHECK(sanitize_utf8(line) == line);
  CHECK(json::accept(line));
}

wire::Message round_trip(const wire::Message& m) {
  const auto line = wire::encode(m);
  INFO(line);
  check_line(line);
  const auto back = wire::decode_message(line);
  INFO(back.error());
  REQUIRE(back.ok());
  return *back;
}

wire::Request round_trip(const wire::Request& r) {
  const auto line = wire::encode(r);
  INFO(line);
  check_line(line);
  const auto back = wire::decode_request(line);
  INFO(back.error());
  REQUIRE(back.ok());
  return *back;
}

/// decode_message(line) fails, with a reason, without throwing.
std::string message_failure(const std::string& line) {
  INFO(line);
  std::string why;
  CHECK_NOTHROW([&] {
    const auto m = wire::decode_message(line);
    CHECK_FALSE(m.ok());
    why = m.error();
  }());
  CHECK_FALSE(why.empty());
  return why;
}

/// decode_request(line) fails, with a reason, without throwing.
std::string request_failure(const std::string& line) {
  INFO(line);
  std::string why;
  CHECK_NOTHROW([&] {
    const auto r = wire::decode_request(line);
    CHECK_FALSE(r.ok());
    why = r.error();
  }());
  CHECK_FALSE(why.empty());
  return why;
}

BenchSpec rich_spec() {
  BenchSpec s;
  s.workload = Workload::kForward;
  s.model = "/models/r\xc3\xa9seau\xff\xfe/m.pt";  // valid UTF-8, then bytes that are not
  s.inputs = {{{8, 64, 32}, "float32"}, {{8, 16}, "int64"}, {{2}, "bool"}, {{1, 3}, "bfloat16"}};
  s.freeze = true;
  s.rows = 123;
  s.cols = 45;
  s.indices = 678;
  s.threads = 3;
  s.interop_threads = 2;
  s.streams = 4;
  s.allocator = Allocator::kJemalloc;
  s.warmup = 5;
  s.min_time_s = 0.25;
  s.repetitions = 7;
  s.max_iterations = 9999;
  s.timeout_s = 42;
  s.duration_s = 1.5;
  s.vary_batch = true;
  s.start_at_s = 12345.678;
  s.events = {"cycles", "instructions", "context-switches"};
  s.test_hook = "hang";
  s.profile_calls = 7;
  s.profile_shapes = true;
  return s;
}

WindowCounters rich_counters() {
  WindowCounters c;
  c.cpu_time_s = 3.25;
  c.voluntary_switches = 120;
  c.involuntary_switches = 34;
  c.throttle = CpuStat{50, 7, 0.35};
  c.perf = {{"cycles", 1.5e9}, {"instructions", 2.25e9}, {"context-switches", 154}};
  c.perf_unavailable = {{"cache-misses", "not supported (ENOENT)"}, {"LLC-load-misses", "blocked (EACCES)"}};
  c.perf_multiplexed = true;
  c.perf_user_only = true;
  c.spin_fraction = 0.25;
  c.kernel_fraction = 0.0625;
  c.spin_method = SpinMethod::kSampling;
  c.spin_reason = "kernel samples refused: user space only";
  c.spin_samples_total = 400;
  c.spin_samples_openmp = 100;
  c.spin_samples_kernel = 25;
  c.spin_samples_lost = 3;
  return c;
}

WorkerResult rich_result() {
  WorkerResult r;
  r.repetitions = {{0.5, {{0.001, 0.002, 0.003}, {0.0015, 0.0025}}},
                   {0.75, {{0.004, 0.005}, {0.0045, 0.0055, 0.0065, 0.0075}}}};
  r.jemalloc = JemallocFigures{1 << 20, 2 << 20, 3 << 20, int64_t{5} << 30};
  r.items_per_op = 8;
  r.model_label = "/models/m.pt";
  r.load_s = 0.125;
  r.warmup_s = 0.0625;
  r.intra_op_threads = 3;
  r.interop_threads = 2;
  r.jemalloc_active = true;
  r.counters = rich_counters();
  return r;
}

/// Pairs as a map: JSON objects do not keep the order of their keys.
template <class V>
std::map<std::string, V> as_map(const std::vector<std::pair<std::string, V>>& pairs) {
  return {pairs.begin(), pairs.end()};
}

void check_same(const WindowCounters& a, const WindowCounters& b) {
  CHECK(a.cpu_time_s == b.cpu_time_s);
  CHECK(a.voluntary_switches == b.voluntary_switches);
  CHECK(a.involuntary_switches == b.involuntary_switches);
  REQUIRE(a.throttle.has_value() == b.throttle.has_value());
  if (a.throttle) {
    CHECK(a.throttle->nr_periods == b.throttle->nr_periods);
    CHECK(a.throttle->nr_throttled == b.throttle->nr_throttled);
    CHECK(a.throttle->throttled_s == b.throttle->throttled_s);
  } else {
    CHECK(a.throttle_reason == b.throttle_reason);
  }
  CHECK(a.perf.size() == b.perf.size());
  CHECK(as_map(a.perf) == as_map(b.perf));
  CHECK(a.perf_unavailable.size() == b.perf_unavailable.size());
  CHECK(as_map(a.perf_unavailable) == as_map(b.perf_unavailable));
  CHECK(a.perf_multiplexed == b.perf_multiplexed);
  CHECK(a.perf_user_only == b.perf_user_only);
  CHECK(a.spin_fraction == b.spin_fraction);
  CHECK(a.kernel_fraction == b.kernel_fraction);
  CHECK(a.spin_method == b.spin_method);
  CHECK(a.spin_reason == b.spin_reason);
  CHECK(a.spin_samples_total == b.spin_samples_total);
  CHECK(a.spin_samples_openmp == b.spin_samples_openmp);
  CHECK(a.spin_samples_kernel == b.spin_samples_kernel);
  CHECK(a.spin_samples_lost == b.spin_samples_lost);
}

void check_same(const WorkerResult& a, const WorkerResult& b) {
  REQUIRE(a.repetitions.size() == b.repetitions.size());
  for (size_t i = 0; i < a.repetitions.size(); ++i) {
    INFO("repetition " << i);
    CHECK(a.repetitions[i].wall_s == b.repetitions[i].wall_s);
    CHECK(a.repetitions[i].latencies_s == b.repetitions[i].latencies_s);
  }
  REQUIRE(a.jemalloc.has_value() == b.jemalloc.has_value());
  if (a.jemalloc) {
    CHECK(a.jemalloc->allocated == b.jemalloc->allocated);
    CHECK(a.jemalloc->active == b.jemalloc->active);
    CHECK(a.jemalloc->resident == b.jemalloc->resident);
    CHECK(a.jemalloc->mapped == b.jemalloc->mapped);
  }
  CHECK(a.items_per_op == b.items_per_op);
  CHECK(a.model_label == b.model_label);
  CHECK(a.load_s == b.load_s);
  CHECK(a.warmup_s == b.warmup_s);
  CHECK(a.intra_op_threads == b.intra_op_threads);
  CHECK(a.interop_threads == b.interop_threads);
  CHECK(a.jemalloc_active == b.jemalloc_active);
  REQUIRE(a.counters.has_value() == b.counters.has_value());
  if (a.counters) check_same(*a.counters, *b.counters);
}

}  // namespace

TEST_CASE("protocol: an info request round-trips", "[wire]") {
  const auto back = round_trip(wire::Request{wire::InfoRequest{}});
  CHECK(std::holds_alternative<wire::InfoRequest>(back));
  const auto j = json::parse(wire::encode(wire::Request{wire::InfoRequest{}}));
  CHECK(j["protocol"] == wire::kProtocolVersion);
  CHECK(j["command"] == "info");
}

TEST_CASE("protocol: a bench request round-trips with every field the worker reads", "[wire]") {
  const auto spec = rich_spec();
  const auto back = round_trip(wire::Request{wire::BenchRequest{spec}});
  const auto* bench = std::get_if<wire::BenchRequest>(&back);
  REQUIRE(bench != nullptr);
  const auto& s = bench->spec;
  CHECK(s.workload == spec.workload);
  CHECK(s.model == spec.model);  // not UTF-8: crosses byte for byte
  REQUIRE(s.inputs.size() == spec.inputs.size());
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    INFO("input " << i);
    CHECK(s.inputs[i].shape == spec.inputs[i].shape);
    CHECK(s.inputs[i].dtype == spec.inputs[i].dtype);
  }
  CHECK(s.freeze == spec.freeze);
  CHECK(s.rows == spec.rows);
  CHECK(s.cols == spec.cols);
  CHECK(s.indices == spec.indices);
  CHECK(s.interop_threads == spec.interop_threads);
  CHECK(s.streams == spec.streams);
  CHECK(s.warmup == spec.warmup);
  CHECK(s.min_time_s == spec.min_time_s);
  CHECK(s.repetitions == spec.repetitions);
  CHECK(s.max_iterations == spec.max_iterations);
  CHECK(s.duration_s == spec.duration_s);
  CHECK(s.vary_batch == spec.vary_batch);
  CHECK(s.start_at_s == spec.start_at_s);
  CHECK(s.events == spec.events);
  CHECK(s.test_hook == spec.test_hook);
  CHECK(s.profile_calls == spec.profile_calls);
  CHECK(s.profile_shapes == spec.profile_shapes);

  // threads, allocator and timeout_s stay with the caller (OMP_NUM_THREADS,
  // LD_PRELOAD, its own timeout): they are not on the wire.
  const auto j = json::parse(wire::encode(wire::Request{wire::BenchRequest{spec}}));
  CHECK(j["protocol"] == wire::kProtocolVersion);
  CHECK(j["command"] == "bench");
  REQUIRE(j.contains("spec"));
  CHECK_FALSE(j["spec"].contains("threads"));
  CHECK_FALSE(j["spec"].contains("allocator"));
  CHECK_FALSE(j["spec"].contains("timeout_s"));
  CHECK(j["spec"].contains("model_hex"));
  CHECK_FALSE(j["spec"].contains("model"));

  SECTION("an unset inter-op count and a UTF-8 path come back as they were") {
    auto plain = spec;
    plain.interop_threads.reset();
    plain.model = "/models/r\xc3\xa9seau.pt";
    plain.workload = Workload::kIndexSelect;
    const auto again = round_trip(wire::Request{wire::BenchRequest{plain}});
    const auto* b = std::get_if<wire::BenchRequest>(&again);
    REQUIRE(b != nullptr);
    CHECK_FALSE(b->spec.interop_threads.has_value());
    CHECK(b->spec.model == plain.model);
    CHECK(b->spec.workload == Workload::kIndexSelect);
  }
}

TEST_CASE("protocol: hello round-trips", "[wire]") {
  const auto back = round_trip(wire::Message{wire::Hello{wire::kProtocolVersion, "1.13.1+cpu", 4242}});
  const auto* m = std::get_if<wire::Hello>(&back);
  REQUIRE(m != nullptr);
  CHECK(m->protocol == wire::kProtocolVersion);
  CHECK(m->torch_version == "1.13.1+cpu");
  CHECK(m->pid == 4242);
  // A hello of another version still decodes: the light binary refuses it by name.
  const auto old = round_trip(wire::Message{wire::Hello{1, "1.12.0", 7}});
  REQUIRE(std::get_if<wire::Hello>(&old) != nullptr);
  CHECK(std::get<wire::Hello>(old).protocol == 1);
}

TEST_CASE("protocol: info round-trips TorchFacts with thread pools", "[wire]") {
  TorchFacts t;
  t.available = true;
  t.version = "1.13.1";
  t.backend = "OpenMP";
  t.intra_op_threads = 4;
  t.interop_threads = 2;
  t.openmp_runtime = "/usr/lib/libgomp.so.1";
  t.omp_max_threads = 4;
  t.mkl = true;
  t.mkldnn = true;
  t.blas = "/usr/lib/libopenblas.so.0";
  t.blas_is_reference = true;
  t.threadpools = {{"libgomp", PoolApi::kOpenmp, "/usr/lib/libgomp.so.1", 4},
                   {"libopenblas", PoolApi::kBlas, "/usr/lib/libopenblas.so.0", std::nullopt}};
  t.allocator = "jemalloc";
  t.jemalloc_path = "/usr/lib/libjemalloc.so.2";
  t.parallel_info = "ATen/Parallel:\n\tat::get_num_threads() : 4";
  t.config = "PyTorch built with:\n  - GCC 9.3";
  // worker_start_s is not sent: the caller measures it (spawn to report).
  const auto back = round_trip(wire::Message{wire::Info{t}});
  const auto* m = std::get_if<wire::Info>(&back);
  REQUIRE(m != nullptr);
  const auto& b = m->torch;
  CHECK(b.available);
  CHECK(b.version == t.version);
  CHECK(b.backend == t.backend);
  CHECK(b.intra_op_threads == t.intra_op_threads);
  CHECK(b.interop_threads == t.interop_threads);
  CHECK(b.openmp_runtime == t.openmp_runtime);
  CHECK(b.omp_max_threads == t.omp_max_threads);
  CHECK(b.mkl == t.mkl);
  CHECK(b.mkldnn == t.mkldnn);
  CHECK(b.blas == t.blas);
  CHECK(b.blas_is_reference == t.blas_is_reference);
  REQUIRE(b.threadpools.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    INFO("thread pool " << i);
    CHECK(b.threadpools[i].library == t.threadpools[i].library);
    CHECK(b.threadpools[i].api == t.threadpools[i].api);
    CHECK(b.threadpools[i].path == t.threadpools[i].path);
    CHECK(b.threadpools[i].threads == t.threadpools[i].threads);
  }
  CHECK(b.allocator == t.allocator);
  CHECK(b.jemalloc_path == t.jemalloc_path);
  CHECK(b.parallel_info == t.parallel_info);
  CHECK(b.config == t.config);

  SECTION("unavailable facts keep their reason") {
    TorchFacts none;
    none.reason = "libtorch_cpu.so: cannot open shared object file";
    const auto again = round_trip(wire::Message{wire::Info{none}});
    REQUIRE(std::get_if<wire::Info>(&again) != nullptr);
    CHECK_FALSE(std::get<wire::Info>(again).torch.available);
    CHECK(std::get<wire::Info>(again).torch.reason == none.reason);
  }
  SECTION("empty optional facts stay empty") {
    TorchFacts bare;
    bare.available = true;
    bare.version = "2.1.0";
    const auto again = round_trip(wire::Message{wire::Info{bare}});
    REQUIRE(std::get_if<wire::Info>(&again) != nullptr);
    const auto& f = std::get<wire::Info>(again).torch;
    CHECK(f.openmp_runtime.empty());
    CHECK(f.blas.empty());
    CHECK(f.jemalloc_path.empty());
    CHECK_FALSE(f.omp_max_threads.has_value());
    CHECK(f.threadpools.empty());
  }
}

TEST_CASE("protocol: both phase changes round-trip", "[wire]") {
  for (const auto phase : {wire::Phase::kTimedStart, wire::Phase::kTimedEnd}) {
    INFO("phase " << static_cast<int>(phase));
    const auto back = round_trip(wire::Message{wire::PhaseChange{phase}});
    const auto* m = std::get_if<wire::PhaseChange>(&back);
    REQUIRE(m != nullptr);
    CHECK(m->phase == phase);
  }
  CHECK(json::parse(wire::encode(wire::Message{wire::PhaseChange{wire::Phase::kTimedStart}}))["phase"] ==
        "timed_start");
  CHECK(json::parse(wire::encode(wire::Message{wire::PhaseChange{wire::Phase::kTimedEnd}}))["phase"] ==
        "timed_end");
}

TEST_CASE("protocol: a result round-trips samples, counters and jemalloc figures", "[wire]") {
  const auto result = rich_result();
  const auto back = round_trip(wire::Message{wire::ResultMessage{result}});
  const auto* m = std::get_if<wire::ResultMessage>(&back);
  REQUIRE(m != nullptr);
  check_same(result, m->result);
  // Spot checks, in case check_same compared the wrong fields.
  REQUIRE(m->result.repetitions.size() == 2);
  CHECK(m->result.repetitions[1].latencies_s[1].size() == 4);
  REQUIRE(m->result.counters);
  CHECK(m->result.counters->perf_value("instructions") == 2.25e9);
  CHECK(m->result.counters->spin_method == SpinMethod::kSampling);
  REQUIRE(m->result.counters->throttle);
  CHECK(m->result.counters->throttle->nr_throttled == 7);
  REQUIRE(m->result.jemalloc);
  CHECK(m->result.jemalloc->mapped == int64_t{5} << 30);

  SECTION("unknown throttling keeps its reason; a proxy-free spin stays unknown") {
    auto r = result;
    r.counters->throttle.reset();
    r.counters->throttle_reason = "cpu.stat unreadable";
    r.counters->spin_fraction.reset();
    r.counters->kernel_fraction.reset();
    r.counters->spin_method = SpinMethod::kUnavailable;
    const auto again = round_trip(wire::Message{wire::ResultMessage{r}});
    REQUIRE(std::get_if<wire::ResultMessage>(&again) != nullptr);
    check_same(r, std::get<wire::ResultMessage>(again).result);
  }
  SECTION("no counters and no jemalloc figures stay absent") {
    WorkerResult r;
    r.repetitions = {{0.1, {{0.05, 0.05}}}};
    r.model_label = "";
    const auto again = round_trip(wire::Message{wire::ResultMessage{r}});
    REQUIRE(std::get_if<wire::ResultMessage>(&again) != nullptr);
    const auto& b = std::get<wire::ResultMessage>(again).result;
    check_same(r, b);
    CHECK_FALSE(b.counters.has_value());
    CHECK_FALSE(b.jemalloc.has_value());
  }
}

TEST_CASE("protocol: a result round-trips its profiled ranges", "[wire]") {
  WorkerResult r;
  r.repetitions = {{0.1, {{0.05, 0.05}}}};
  ProfileSample p;
  p.calls = 2;
  p.truncated = true;
  p.events = {{"torchdiag::call", 0, 0.5, 100.25, 0, ""}, {"aten::mm", 1, 10, 80, 1, "[[2, 2], [2, 2]]"}};
  r.profile = p;
  const auto back = round_trip(wire::Message{wire::ResultMessage{r}});
  const auto* m = std::get_if<wire::ResultMessage>(&back);
  REQUIRE(m != nullptr);
  REQUIRE(m->result.profile);
  const auto& q = *m->result.profile;
  CHECK(q.calls == 2);
  CHECK(q.truncated);
  REQUIRE(q.events.size() == 2);
  CHECK(q.events[1].name == "aten::mm");
  CHECK(q.events[1].thread == 1);
  CHECK(q.events[0].start_us == 0.5);
  CHECK(q.events[0].dur_us == 100.25);
  CHECK(q.events[1].depth == 1);
  CHECK(q.events[1].shapes == "[[2, 2], [2, 2]]");
  SECTION("a failed profile keeps its reason; none stays none") {
    ProfileSample failed;
    failed.error = "profiling failed: boom";
    r.profile = failed;
    const auto again = round_trip(wire::Message{wire::ResultMessage{r}});
    CHECK(std::get<wire::ResultMessage>(again).result.profile->error == "profiling failed: boom");
    r.profile.reset();
    const auto none = round_trip(wire::Message{wire::ResultMessage{r}});
    CHECK_FALSE(std::get<wire::ResultMessage>(none).result.profile.has_value());
  }
}

TEST_CASE("protocol: an error message of each kind round-trips", "[wire]") {
  for (const auto kind : {wire::ErrorKind::kUsage, wire::ErrorKind::kModel, wire::ErrorKind::kRuntime}) {
    INFO("kind " << static_cast<int>(kind));
    const std::string text = "cannot load '/m.pt': \"bad\" archive\n\tat line 3";
    const auto back = round_trip(wire::Message{wire::ErrorMessage{kind, text}});
    const auto* m = std::get_if<wire::ErrorMessage>(&back);
    REQUIRE(m != nullptr);
    CHECK(m->kind == kind);
    CHECK(m->message == text);
  }
  const auto kind_of = [](wire::ErrorKind k) {
    return json::parse(wire::encode(wire::Message{wire::ErrorMessage{k, "x"}}))["kind"].get<std::string>();
  };
  CHECK(kind_of(wire::ErrorKind::kUsage) == "usage");
  CHECK(kind_of(wire::ErrorKind::kModel) == "model");
  CHECK(kind_of(wire::ErrorKind::kRuntime) == "runtime");
}

TEST_CASE("protocol: a request of another protocol version is refused", "[wire]") {
  auto j = json::parse(wire::encode(wire::Request{wire::InfoRequest{}}));
  j["protocol"] = wire::kProtocolVersion + 1;
  const auto why = request_failure(j.dump());
  CHECK_THAT(why, Catch::Contains("protocol " + std::to_string(wire::kProtocolVersion + 1)));
  CHECK_THAT(request_failure(R"({"command": "info"})"), Catch::Contains("protocol 0"));
  j = json::parse(wire::encode(wire::Request{wire::BenchRequest{rich_spec()}}));
  j["protocol"] = 1;
  CHECK_THAT(request_failure(j.dump()), Catch::Contains("protocol 1"));
}

TEST_CASE("protocol: an unknown command is refused", "[wire]") {
  const auto why = request_failure(R"({"protocol": )" + std::to_string(wire::kProtocolVersion) +
                                   R"(, "command": "matmul"})");
  CHECK_THAT(why, Catch::Contains("unknown command 'matmul'"));
  CHECK_THAT(request_failure(R"({"protocol": )" + std::to_string(wire::kProtocolVersion) + "}"),
             Catch::Contains("unknown command"));
}

TEST_CASE("protocol: a bench request with a bad spec is refused", "[wire]") {
  auto j = json::parse(wire::encode(wire::Request{wire::BenchRequest{rich_spec()}}));
  j["spec"]["workload"] = "matmul";
  CHECK_THAT(request_failure(j.dump()), Catch::Contains("matmul"));
  j = json::parse(wire::encode(wire::Request{wire::BenchRequest{rich_spec()}}));
  j["spec"]["streams"] = 0;
  CHECK_THAT(request_failure(j.dump()), Catch::Contains("streams"));
  j = json::parse(wire::encode(wire::Request{wire::BenchRequest{rich_spec()}}));
  j["spec"]["rows"] = "many";
  CHECK_THAT(request_failure(j.dump()), Catch::Contains("bad bench spec"));
}

TEST_CASE("protocol: a line that is not JSON is refused", "[wire]") {
  for (const char* line : {"", "hello", "{\"type\": \"hello\"", "[1, 2]", "42", "\xff\xfe"}) {
    INFO(line);
    CHECK_FALSE(message_failure(line).empty());
    CHECK_FALSE(request_failure(line).empty());
  }
  CHECK_THAT(message_failure("Segmentation fault"), Catch::Contains("not a JSON object"));
  CHECK_THAT(request_failure("Segmentation fault"), Catch::Contains("not a JSON object"));
}

TEST_CASE("protocol: a result with a missing field fails with a reason", "[wire]") {
  const auto good = json::parse(wire::encode(wire::Message{wire::ResultMessage{rich_result()}}));

  auto j = good;
  j["result"].erase("repetitions");
  CHECK_THAT(message_failure(j.dump()), Catch::Contains("malformed worker result"));

  j = good;
  j["result"]["repetitions"][1].erase("wall_s");
  CHECK_THAT(message_failure(j.dump()), Catch::Contains("malformed worker result"));

  j = good;
  j["result"]["repetitions"][0].erase("latencies_s");
  CHECK_THAT(message_failure(j.dump()), Catch::Contains("malformed worker result"));

  j = good;
  j.erase("result");
  CHECK_THAT(message_failure(j.dump()), Catch::Contains("malformed worker result"));

  j = good;
  j["result"]["repetitions"][0]["latencies_s"] = "fast";
  CHECK_THAT(message_failure(j.dump()), Catch::Contains("malformed worker result"));
}

TEST_CASE("protocol: unknown message types and phases are refused", "[wire]") {
  CHECK_THAT(message_failure(R"({"type": "progress"})"), Catch::Contains("unknown message type 'progress'"));
  CHECK_THAT(message_failure(R"({"pid": 1})"), Catch::Contains("unknown message type"));
  CHECK_THAT(message_failure(R"({"type": "phase", "phase": "halftime"})"), Catch::Contains("unknown phase"));
  CHECK_FALSE(message_failure(R"({"type": "hello", "protocol": "two"})").empty());
}
