#include "bench/spec_json.h"

#include <stdexcept>

#include "util/strings.h"

namespace torchdiag {

using nlohmann::json;

bool is_known_dtype(const std::string& d) {
  for (const char* k : {"float32", "float", "float64", "double", "float16", "half", "bfloat16",
                        "int64", "long", "int32", "int", "int16", "int8", "uint8", "bool"}) {
    if (d == k) return true;
  }
  return false;
}

std::string parse_input_spec(const std::string& text, InputSpec& out) {
  out = InputSpec{};
  std::string shape = text;
  const auto colon = text.find(':');
  if (colon != std::string::npos) {
    shape = text.substr(0, colon);
    out.dtype = text.substr(colon + 1);
    if (!is_known_dtype(out.dtype)) return "unknown dtype '" + out.dtype + "'";
  }
  if (shape.empty()) return "empty shape";
  for (const auto dim : split(shape, 'x')) {
    const auto v = parse_int(trim(dim));
    if (!v || *v <= 0 || *v > (int64_t{1} << 31)) {
      return "bad dimension '" + std::string(dim) + "' (expected positive integers like 1x3x224x224)";
    }
    out.shape.push_back(*v);
  }
  return "";
}

json spec_to_json(const BenchSpec& s) {
  json inputs = json::array();
  for (const auto& in : s.inputs) inputs.push_back({{"shape", in.shape}, {"dtype", in.dtype}});
  json j = {{"workload", s.workload},
          {"inputs", inputs},
          {"freeze", s.freeze},
          {"rows", s.rows},
          {"cols", s.cols},
          {"indices", s.indices},
          {"threads", s.threads ? json(*s.threads) : json(nullptr)},
          {"interop_threads", s.interop_threads ? json(*s.interop_threads) : json(nullptr)},
          {"streams", s.streams},
          {"allocator", s.allocator},
          {"warmup", s.warmup},
          {"min_time_s", s.min_time_s},
          {"repetitions", s.repetitions},
          {"max_iterations", s.max_iterations},
          {"timeout_s", s.timeout_s},
          {"events", s.events},
          {"duration_s", s.duration_s},
          {"vary_batch", s.vary_batch},
          {"test_hook", s.test_hook}};
  // JSON strings are UTF-8; a path is any bytes, so one that is not UTF-8 travels as hex.
  if (sanitize_utf8(s.model) == s.model) {
    j["model"] = s.model;
  } else {
    j["model_hex"] = hex_encode(s.model);
  }
  return j;
}

BenchSpec spec_from_json(const json& j) {
  BenchSpec s;
  try {
    s.workload = j.value("workload", s.workload);
    s.model = j.value("model", s.model);
    if (j.contains("model_hex")) {
      const auto path = hex_decode(j.at("model_hex").get<std::string>());
      if (!path) throw std::invalid_argument("model_hex is not hex");
      s.model = *path;
    }
    for (const auto& in : j.value("inputs", json::array())) {
      s.inputs.push_back({in.at("shape").get<std::vector<int64_t>>(), in.value("dtype", "float32")});
    }
    s.freeze = j.value("freeze", false);
    s.rows = j.value("rows", s.rows);
    s.cols = j.value("cols", s.cols);
    s.indices = j.value("indices", s.indices);
    if (j.contains("threads") && !j["threads"].is_null()) s.threads = j["threads"].get<int>();
    if (j.contains("interop_threads") && !j["interop_threads"].is_null()) {
      s.interop_threads = j["interop_threads"].get<int>();
    }
    s.streams = j.value("streams", 1);
    s.allocator = j.value("allocator", s.allocator);
    s.warmup = j.value("warmup", s.warmup);
    s.min_time_s = j.value("min_time_s", s.min_time_s);
    s.repetitions = j.value("repetitions", s.repetitions);
    s.max_iterations = j.value("max_iterations", s.max_iterations);
    s.timeout_s = j.value("timeout_s", s.timeout_s);
    s.test_hook = j.value("test_hook", "");
    s.events = j.value("events", std::vector<std::string>{});
    s.duration_s = j.value("duration_s", 0.0);
    s.vary_batch = j.value("vary_batch", false);
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("bad bench spec: ") + e.what());
  }
  if (s.workload != "index_select" && s.workload != "forward") {
    throw std::invalid_argument("unknown workload '" + s.workload + "'");
  }
  if (s.streams < 1 || s.repetitions < 1 || s.warmup < 0 || s.min_time_s < 0) {
    throw std::invalid_argument("streams and repetitions must be >= 1, warmup and min_time >= 0");
  }
  return s;
}

}  // namespace torchdiag
