#include <catch2/catch.hpp>

#include "bench/plan.h"
#include "bench/input_spec.h"
#include "wire/codecs.h"

using namespace torchdiag;

namespace {
std::vector<std::string> labels(const std::vector<ThreadChoice>& c) {
  std::vector<std::string> out;
  for (const auto& x : c) out.push_back(threads_label(x));
  return out;
}
}  // namespace

TEST_CASE("bench --threads auto: 1, powers of two, usable, online, current", "[bench]") {
  std::vector<ThreadChoice> t;
  REQUIRE(plan_threads("auto", 6, 16, t).empty());
  CHECK(labels(t) == std::vector<std::string>{"1", "2", "4", "6", "16", "current"});
  REQUIRE(plan_threads("auto", 1, 2, t).empty());
  CHECK(labels(t) == std::vector<std::string>{"1", "2", "current"});
  REQUIRE(plan_threads("auto", 8, 8, t).empty());
  CHECK(labels(t) == std::vector<std::string>{"1", "2", "4", "8", "current"});
  CHECK_FALSE(t.back().has_value());
}

TEST_CASE("bench --threads lists are validated", "[bench]") {
  std::vector<ThreadChoice> t;
  REQUIRE(plan_threads("4,1,current,4", 2, 2, t).empty());
  CHECK(labels(t) == std::vector<std::string>{"1", "4", "current"});
  for (const char* bad : {"0", "-2", "x", "1,,2", "5000", ""}) {
    INFO(bad);
    CHECK_FALSE(plan_threads(bad, 2, 2, t).empty());
  }
  std::vector<int> counts;
  CHECK(parse_count_list("1,2,2,4", "--streams", 64, counts).empty());
  CHECK(counts == std::vector<int>{1, 2, 4});
  CHECK(parse_count_list("65", "--streams", 64, counts).find("more than 64") != std::string::npos);
}

TEST_CASE("the sweep is the cross product in a stable order", "[bench]") {
  BenchSpec base;
  base.min_time_s = 0.1;
  const auto plan = plan_sweep(base, {Workload::kIndexSelect, Workload::kForward}, {1, std::nullopt}, {1, 2},
                               {Allocator::kGlibc});
  REQUIRE(plan.size() == 8);
  CHECK(plan[0].workload == Workload::kIndexSelect);
  CHECK(plan[0].streams == 1);
  CHECK(threads_label(plan[1]) == "current");
  CHECK(plan[2].streams == 2);
  CHECK(plan[7].workload == Workload::kForward);
  CHECK(plan[7].min_time_s == 0.1);
}

TEST_CASE("input specs parse shapes and dtypes", "[bench]") {
  InputSpec in;
  CHECK(parse_input_spec("1x3x224x224", in).empty());
  CHECK(in.shape == std::vector<int64_t>{1, 3, 224, 224});
  CHECK(in.dtype == "float32");
  CHECK(parse_input_spec("8x16:int64", in).empty());
  CHECK(in.dtype == "int64");
  for (const char* ok : {"2:bfloat16", "2:float16", "2:bool", "2:int32"}) CHECK(parse_input_spec(ok, in).empty());
  for (const char* bad : {"", "x", "1xax3", "0x3", "-1", "4:float99", "3x"}) {
    INFO(bad);
    CHECK_FALSE(parse_input_spec(bad, in).empty());
  }
}

TEST_CASE("bench specs round-trip through the worker protocol", "[bench]") {
  BenchSpec s;
  s.workload = Workload::kForward;
  s.model = "/m.pt";
  s.inputs = {{{8, 64, 32}, "float32"}, {{8, 16}, "int64"}};
  s.threads = 3;
  s.interop_threads = 2;
  s.streams = 4;
  s.allocator = Allocator::kJemalloc;
  s.timeout_s = 42;
  const auto back = wire::spec_from_json(wire::spec_to_json(s));
  REQUIRE(back.ok());
  CHECK(back->workload == Workload::kForward);
  CHECK(back->model == "/m.pt");
  CHECK(back->inputs.size() == 2);
  CHECK(back->inputs[1].dtype == "int64");
  CHECK(back->interop_threads == 2);
  CHECK(back->streams == 4);
  // The worker does not read these: OMP_NUM_THREADS, LD_PRELOAD and the caller's
  // timeout do their job, so they do not cross the wire.
  auto j = wire::spec_to_json(s);
  CHECK_FALSE(j.contains("threads"));
  CHECK_FALSE(j.contains("allocator"));
  CHECK_FALSE(j.contains("timeout_s"));
  j["workload"] = "matmul";
  const auto bad_workload = wire::spec_from_json(j);
  CHECK_FALSE(bad_workload.ok());
  CHECK_THAT(bad_workload.error(), Catch::Contains("matmul"));
  j = wire::spec_to_json(s);
  j["streams"] = 0;
  const auto no_streams = wire::spec_from_json(j);
  CHECK_FALSE(no_streams.ok());
  CHECK_THAT(no_streams.error(), Catch::Contains("streams"));
  // A path that is not UTF-8 crosses the wire byte for byte.
  s.model = "/tmp/m\xff\xfe.pt";
  const auto raw = wire::spec_from_json(wire::spec_to_json(s));
  REQUIRE(raw.ok());
  CHECK(raw->model == s.model);
  CHECK(wire::spec_to_json(s).contains("model_hex"));
}
