#include "torch/model_loader.h"

#include <sstream>

#include "util/error_cause.h"
#include "util/model_file.h"

namespace torchdiag {

std::string forward_schema(const torch::jit::Module& module) {
  const auto method = module.find_method("forward");
  if (!method) return "";
  std::ostringstream out;
  out << method->function().getSchema();
  return out.str();
}

torch::jit::Module load_model(const std::string& path, bool freeze) {
  if (const auto why = check_model_file(path); !why.empty()) {
    throw ModelError("cannot load model '" + path + "': " + why);
  }
  torch::jit::Module m;
  try {
    m = torch::jit::load(path, torch::kCPU);
  } catch (const std::exception& e) {
    throw ModelError("cannot load model '" + path + "': " + error_cause(e.what()));
  }
  m.eval();
  if (freeze) {
    try {
      auto frozen = torch::jit::freeze(m);
      m = torch::jit::optimize_for_inference(frozen);
    } catch (const std::exception& e) {
      throw ModelError("cannot freeze model '" + path + "': " + error_cause(e.what()));
    }
  }
  return m;
}

}  // namespace torchdiag
