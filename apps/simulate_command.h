// `hami simulate`: flags -> simulate::Options -> report on stdout. Errors go to stderr, exit 1.
#pragma once

#include <CLI/CLI.hpp>

namespace hami::apps {

// Registers the subcommand; when it runs, its exit status is stored in *exit_code.
void AddSimulateCommand(CLI::App& app, int* exit_code);

}  // namespace hami::apps
