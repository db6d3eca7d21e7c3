#include "util/model_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

namespace torchdiag {

std::string check_model_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::strerror(errno);
  if (S_ISDIR(st.st_mode)) return "is a directory";
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::strerror(errno);
  unsigned char magic[4] = {};
  f.read(reinterpret_cast<char*>(magic), 4);
  if (f.gcount() < 4) return "file is empty or too short to be a TorchScript archive";
  if (magic[0] == 0x80) {
    return "a Python pickle (torch.save), not a TorchScript archive; "
           "export with torch.jit.script(model).save(path)";
  }
  if (!(magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4)) {
    return "not a TorchScript archive (zip header missing)";
  }
  return "";
}

}  // namespace torchdiag
