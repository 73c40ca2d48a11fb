// `hami resources`: the resource names every configured vendor owns, one per line, as
// kube-scheduler's extender `managedResources` must list them (hack/lib/hami.sh renders the local
// plane's scheduler config from it). Takes the scheduler's --config and vendor flags.
#pragma once

#include <CLI/CLI.hpp>

namespace hami::apps {

void AddResourcesCommand(CLI::App& app, int* exit_code);

}  // namespace hami::apps
