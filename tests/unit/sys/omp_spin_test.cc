// Runs tests/support/omp_spin.cc: a deliberately spinning OpenMP region must show a
// high share of samples in the OpenMP runtime, a compute-bound one a low share.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "sys/subprocess.h"

namespace {

/// The helper's JSON line, or null (with a warning) when it cannot sample here.
nlohmann::json run_omp_spin(const std::string& mode) {
  torchdiag::SpawnOptions o;
  o.argv = {TORCHDIAG_OMP_SPIN, mode};
  o.env = torchdiag::current_environment();
  o.timeout_s = 60;
  const auto r = torchdiag::run_process(o);
  INFO(mode << ": " << r.describe() << "\n" << r.stderr_text);
  REQUIRE(r.ok());
  auto j = nlohmann::json::parse(r.stdout_text);
  if (!j.at("available").get<bool>()) {
    WARN("cpu-clock sampling is not available here: " << j.at("reason").get<std::string>());
    return nullptr;
  }
  REQUIRE(j.at("openmp_runtime_found").get<bool>());
  REQUIRE(j.at("total").get<double>() > 100);  // ~300 ms of CPU time or more at 997 Hz
  return j;
}

double share(const nlohmann::json& j, const char* key) {
  return j.at(key).get<double>() / j.at("total").get<double>();
}

}  // namespace

TEST_CASE("a spinning OpenMP region shows a high spin share, a compute-bound one a low share",
          "[perf][sampler][openmp]") {
  if (std::string(TORCHDIAG_OMP_SPIN).empty()) {
    WARN("built without OpenMP: the spin helper is missing");
    return;
  }
  const auto spin = run_omp_spin("spin");
  const auto compute = run_omp_spin("compute");
  if (spin.is_null() || compute.is_null()) return;
  INFO("spin mode: " << spin.dump() << " -> share " << share(spin, "openmp"));
  INFO("compute mode: " << compute.dump() << " -> share " << share(compute, "openmp"));
  CHECK(share(spin, "openmp") > 0.3);
  CHECK(share(compute, "openmp") < 0.1);
}
