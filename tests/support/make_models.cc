// Writes small TorchScript archives (and broken files) for the bench tests:
//   make_models DIR
// single.pt      forward(x: 4x16 float) -> relu(linear)
// two_inputs.pt  forward(a: 8x64x32, b: 8x32x16) -> bmm
// int_input.pt   forward(idx: 8x16 int64) -> embedding sum
// one_matmul.pt  forward(x: 256x512) -> one big matmul (little framework overhead)
// tiny_ops.pt    forward(x: 1 float) -> 200 additions on one element (mostly overhead)
// random.bin, pickle.pt, truncated.pt, empty.pt: files that are not loadable models.
#include <torch/script.h>

#include <fstream>
#include <iostream>
#include <random>
#include <string>

namespace {

torch::jit::Module build(const char* name, const std::string& source,
                         const std::vector<std::pair<std::string, at::Tensor>>& params) {
  torch::jit::Module m(name);
  for (const auto& [pname, value] : params) m.register_parameter(pname, value, false);
  m.define(source);
  return m;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_models DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  torch::manual_seed(1);
  build("Single", "def forward(self, x):\n    return torch.relu(torch.linear(x, self.w, self.b))\n",
        {{"w", torch::randn({8, 16})}, {"b", torch::randn({8})}})
      .save(dir + "/single.pt");
  build("TwoInputs", "def forward(self, a, b):\n    return torch.bmm(a, b) * self.scale\n",
        {{"scale", torch::ones({1})}})
      .save(dir + "/two_inputs.pt");
  build("IntInput",
        "def forward(self, idx):\n    return torch.embedding(self.table, idx).sum(1)\n",
        {{"table", torch::randn({10, 4})}})
      .save(dir + "/int_input.pt");
  build("OneMatmul", "def forward(self, x):\n    return torch.mm(x, self.w)\n", {{"w", torch::randn({512, 512})}})
      .save(dir + "/one_matmul.pt");
  std::string tiny = "def forward(self, x):\n    y = x\n";
  for (int i = 0; i < 200; ++i) tiny += "    y = y + self.one\n";
  build("TinyOps", tiny + "    return y\n", {{"one", torch::ones({1})}}).save(dir + "/tiny_ops.pt");
  // Models that fail inside TorchScript, each for its own reason.
  build("Raises", "def forward(self, x):\n    assert x.numel() < 0, \"the model refuses: custom reason 42\"\n    return x\n",
        {})
      .save(dir + "/raises.pt");
  build("Huge", "def forward(self, x):\n    return torch.empty([1 << 46]) + x.sum()\n", {})
      .save(dir + "/huge_alloc.pt");
  // Touches 1 GiB: in a small memory cgroup the kernel's OOM killer ends the worker.
  build("Touches", "def forward(self, x):\n    return torch.ones([1 << 28]).sum() + x.sum()\n", {})
      .save(dir + "/touches_1gib.pt");
  build("Loops", "def forward(self, x):\n    y = x\n    while True:\n        y = y + 1\n    return y\n", {})
      .save(dir + "/loops.pt");
  std::ifstream in(dir + "/single.pt", std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  write_bytes(dir + "/truncated.pt", good.substr(0, good.size() / 2));
  write_bytes(dir + "/pickle.pt", std::string("\x80\x02}q\x00.", 6));
  write_bytes(dir + "/empty.pt", "");
  std::mt19937 rng(7);
  std::string noise(4096, '\0');
  for (auto& c : noise) c = static_cast<char>(rng() & 0xff);
  noise[0] = 'Z';
  write_bytes(dir + "/random.bin", noise);
  return 0;
}
