// `hami`: the operator CLI. Subcommands are wired here; their logic lives under src/.
#include <CLI/CLI.hpp>

#include "apps/resources_command.h"
#include "apps/simulate_command.h"
#include "apps/smi_command.h"

int main(int argc, char** argv) {
  CLI::App app{"hami: GPU sharing for Kubernetes (HAMi-compatible), operator tools"};
  app.require_subcommand(1);
  int exit_code = 0;
  hami::apps::AddSimulateCommand(app, &exit_code);
  hami::apps::AddSmiCommand(app, &exit_code);
  hami::apps::AddResourcesCommand(app, &exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
