#include "torch/builtin_model.h"

namespace torchdiag {
namespace {

constexpr const char* kSource = R"JIT(
def forward(self, x):
    y = torch.relu(torch.conv2d(x, self.conv1_w, self.conv1_b, [2, 2], [1, 1]))
    y = torch.relu(torch.conv2d(y, self.conv2_w, self.conv2_b, [1, 1], [1, 1]))
    y = torch.adaptive_avg_pool2d(y, [4, 4])
    y = torch.flatten(y, 1)
    y = torch.relu(torch.linear(y, self.fc1_w, self.fc1_b))
    return torch.linear(y, self.fc2_w, self.fc2_b)
)JIT";

}  // namespace

std::vector<int64_t> builtin_input_shape() { return {8, 3, 64, 64}; }

torch::jit::Module make_builtin_model() {
  torch::manual_seed(0);  // the same weights every run: results stay comparable
  torch::jit::Module m("TorchdiagBuiltin");
  auto param = [&m](const char* name, std::vector<int64_t> shape) {
    m.register_parameter(name, torch::randn(shape) * 0.05, false);
  };
  param("conv1_w", {16, 3, 3, 3});
  param("conv1_b", {16});
  param("conv2_w", {32, 16, 3, 3});
  param("conv2_b", {32});
  param("fc1_w", {256, 32 * 4 * 4});
  param("fc1_b", {256});
  param("fc2_w", {10, 256});
  param("fc2_b", {10});
  m.define(kSource);
  m.eval();
  return m;
}

}  // namespace torchdiag
