#include "torch/model_loader.h"

#include <fstream>
#include <sstream>

namespace torchdiag {

std::string first_line(const std::string& message) {
  std::istringstream in(message);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) return line;
  }
  return message;
}

std::string forward_schema(const torch::jit::Module& module) {
  const auto method = module.find_method("forward");
  if (!method) return "";
  std::ostringstream out;
  out << method->function().getSchema();
  return out.str();
}

namespace {

void check_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ModelError("cannot load model '" + path + "': cannot open file");
  char magic[4] = {};
  f.read(magic, 4);
  if (f.gcount() < 4) throw ModelError("cannot load model '" + path + "': file is empty or too short");
  if (static_cast<unsigned char>(magic[0]) == 0x80) {
    throw ModelError("cannot load model '" + path +
                     "': a Python pickle (torch.save), not a TorchScript archive; "
                     "export it with torch.jit.script(model).save(path)");
  }
  if (!(magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4)) {
    throw ModelError("cannot load model '" + path +
                     "': not a TorchScript archive (zip header missing)");
  }
}

}  // namespace

torch::jit::Module load_model(const std::string& path, bool freeze) {
  check_file(path);
  torch::jit::Module m;
  try {
    m = torch::jit::load(path, torch::kCPU);
  } catch (const std::exception& e) {
    throw ModelError("cannot load model '" + path + "': " + first_line(e.what()));
  }
  m.eval();
  if (freeze) {
    try {
      auto frozen = torch::jit::freeze(m);
      m = torch::jit::optimize_for_inference(frozen);
    } catch (const std::exception& e) {
      throw ModelError("cannot freeze model '" + path + "': " + first_line(e.what()));
    }
  }
  return m;
}

}  // namespace torchdiag
