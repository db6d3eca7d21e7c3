#pragma once
#include "model/torch_facts.h"
#include "sys/fs_reader.h"

namespace torchdiag {

/// Another process through /proc/PID: name, threads with their context switches,
/// thread-pool libraries and allocator mapped into it. Unreadable parts (a process
/// that exits mid-read, permission denied on maps) are reported in `error`.
ProcessFacts probe_process(const FsReader& fs, int pid);

}  // namespace torchdiag
