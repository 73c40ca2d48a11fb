// `hami smi`: an nvidia-smi-like view of GPU slices for a node, a monitor, the cluster, or (inside
// a container running under libvgpu) the container's own slice. Output on stdout; errors on
// stderr with exit 1. Views and rendering live in src/monitor/smi.h.
#pragma once

#include <CLI/CLI.hpp>

namespace hami::apps {

// Registers the subcommand; when it runs, its exit status is stored in *exit_code.
void AddSmiCommand(CLI::App& app, int* exit_code);

}  // namespace hami::apps
