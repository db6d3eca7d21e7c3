#pragma once
// JSON forms of the model types that cross the pipe between torchdiag and
// torchdiag-worker. Each type is encoded and decoded here only; inspect's report embeds
// TorchFacts in the same form, so a fact is spelled one way everywhere.
#include <nlohmann/json.hpp>

#include "model/bench_spec.h"
#include "model/torch_facts.h"
#include "model/worker_result.h"
#include "util/expected.h"

namespace torchdiag::wire {

/// The fields the worker needs: not `threads` (OMP_NUM_THREADS in its environment
/// sets them), `allocator` (LD_PRELOAD) or `timeout_s` (enforced by the caller). A
/// model path that is not UTF-8 travels as hex ("model_hex").
nlohmann::json spec_to_json(const BenchSpec& spec);
Expected<BenchSpec> spec_from_json(const nlohmann::json& j);

nlohmann::json counters_to_json(const WindowCounters& c);
WindowCounters counters_from_json(const nlohmann::json& j);

nlohmann::json torch_facts_to_json(const TorchFacts& t);
nlohmann::json threadpools_to_json(const std::vector<ThreadPoolLib>& pools);
TorchFacts torch_facts_from_json(const nlohmann::json& j);

nlohmann::json profile_sample_to_json(const ProfileSample& p);
ProfileSample profile_sample_from_json(const nlohmann::json& j);

nlohmann::json worker_result_to_json(const WorkerResult& r);
Expected<WorkerResult> worker_result_from_json(const nlohmann::json& j);

}  // namespace torchdiag::wire
