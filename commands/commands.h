#pragma once
// Each subcommand registers its options on the app and sets `exit_code` when it runs.
#include <optional>

#include <CLI/CLI.hpp>

#include "model/inspect_report.h"
#include "sys/fs_reader.h"

namespace torchdiag::cli {

void add_inspect(CLI::App& app, int& exit_code);
void add_snapshot(CLI::App& app, int& exit_code);
void add_bench(CLI::App& app, int& exit_code);
void add_profile(CLI::App& app, int& exit_code);
void add_recommend(CLI::App& app, int& exit_code);
void add_watch(CLI::App& app, int& exit_code);
void add_diff(CLI::App& app, int& exit_code);
void add_completion(CLI::App& app, int& exit_code);

/// What `inspect` reports for this process, `pid` or a snapshot (`fs` rooted there):
/// facts, capacity, node facts, LibTorch's view when `with_torch`, findings.
InspectReport collect_inspect(const FsReader& fs, std::optional<int> pid, bool with_torch, int engine_threads);

}  // namespace torchdiag::cli
