#pragma once
// Each subcommand registers its options on the app and sets `exit_code` when it runs.
#include <CLI/CLI.hpp>

namespace torchdiag::cli {

void add_inspect(CLI::App& app, int& exit_code);
void add_snapshot(CLI::App& app, int& exit_code);
void add_bench(CLI::App& app, int& exit_code);
void add_recommend(CLI::App& app, int& exit_code);
void add_watch(CLI::App& app, int& exit_code);

}  // namespace torchdiag::cli
