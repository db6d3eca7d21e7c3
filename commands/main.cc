// torchdiag: why is PyTorch CPU inference slow in this container, and what thread
// settings should it run with. This binary never links LibTorch; see torchdiag-worker.
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "common.h"
#include "util/strings.h"

using namespace torchdiag::cli;

namespace {

std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

/// The long option names ("--format") of `app`.
std::vector<std::string> long_options(const CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* opt : app.get_options()) {
    for (const auto& name : opt->get_lnames()) names.push_back("--" + name);
  }
  return names;
}

/// The first "--word" of argv (after the command) that `app` does not know, with "did
/// you mean" among its options; "" when every one is known.
std::string unknown_option(const CLI::App& app, const std::string& command, int argc, char** argv) {
  const auto known = long_options(app);
  for (int i = 2; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "--") break;  // what follows is a command's own arguments (recommend --exec)
    if (word.rfind("--", 0) != 0 || word.size() < 3) continue;
    word = word.substr(0, word.find('='));
    if (std::find(known.begin(), known.end(), word) == known.end()) {
      return fmt::format("unknown option '{}' for {}{}", word, command, torchdiag::did_you_mean(word, known));
    }
  }
  return "";
}

/// A one-line message for a CLI11 parse error, with "did you mean" for subcommands and
/// for long options.
std::string describe_parse_error(const CLI::App& app, const CLI::ParseError& e, int argc,
                                 char** argv) {
  std::string msg = e.what();
  if (argc > 1 && argv[1][0] != '-') {
    const auto names = subcommand_names(app);
    const std::string word = argv[1];
    if (std::find(names.begin(), names.end(), word) == names.end()) {
      return fmt::format("unknown command '{}'{}", word, torchdiag::did_you_mean(word, names));
    }
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
      if (auto unknown = unknown_option(*app.get_subcommand(word), word, argc, argv); !unknown.empty()) return unknown;
    }
  }
  return msg;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"torchdiag: diagnose PyTorch CPU inference thread settings in containers"};
  app.name("torchdiag");
  app.set_version_flag("--version", std::string("torchdiag ") + TORCHDIAG_VERSION);
  app.require_subcommand(1);
  int exit_code = kExitOk;
  add_inspect(app, exit_code);
  add_snapshot(app, exit_code);
  add_bench(app, exit_code);
  add_profile(app, exit_code);
  add_recommend(app, exit_code);
  add_watch(app, exit_code);
  add_diff(app, exit_code);
  add_completion(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "torchdiag: error: {}\n", describe_parse_error(app, e, argc, argv));
    fmt::print(stderr, "Run 'torchdiag --help' for usage.\n");
    return kExitUsage;
  } catch (const CommandError& e) {
    fmt::print(stderr, "torchdiag: error: {}\n", e.message);
    return e.code;
  } catch (const std::exception& e) {
    fmt::print(stderr, "torchdiag: error: {}\n", e.what());
    return kExitRuntime;
  }
  return exit_code;
}
