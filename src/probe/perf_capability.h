#pragma once
#include "model/perf_capability.h"
#include "sys/fs_reader.h"
#include "sys/perf_counters.h"

namespace torchdiag {

/// Reads perf_event_paranoid, the seccomp mode and capabilities, and (on the live
/// system only) tries to open one software and one hardware counter on this process.
PerfCapability probe_perf_capability(const FsReader& fs, PerfOpenFn open_fn = nullptr);

/// True when capability bit `cap` is set in a CapEff hex mask ("000001ffffffffff").
bool capability_set(const std::string& cap_eff_hex, int cap);

}  // namespace torchdiag
