#include "util/model_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace torchdiag {

std::string check_model_file(const std::string& path) {
  // A device is never opened (opening some has side effects), nor a FIFO (it would wait
  // for a writer). stat first; then O_NONBLOCK and fstat for what was swapped in between.
  struct stat before {};
  if (::stat(path.c_str(), &before) != 0) return std::strerror(errno);
  if (S_ISDIR(before.st_mode)) return "not a regular file (a directory)";
  if (!S_ISREG(before.st_mode)) return "not a regular file";
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  struct stat st {};
  unsigned char magic[4] = {};
  ssize_t got = -1;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) got = ::pread(fd, magic, sizeof magic, 0);
  const int err = errno;
  ::close(fd);
  if (S_ISDIR(st.st_mode)) return "not a regular file (a directory)";
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if (got < 0) return std::strerror(err);
  if (got < 4) return "file is empty or too short to be a TorchScript archive";
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
