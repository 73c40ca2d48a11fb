// The node monitor's /metrics body: upstream HAMi's vGPU monitor names and labels (hami-wire §6.2),
// our additions (documented in docs/monitor.md), and upstream's legacy names when asked.
//
// Every family is written with its HELP/TYPE header even when it has no samples, so the list of
// names a monitor can export is the renderer's own output (MetricNames; the Grafana dashboard test
// checks the dashboard against it). Device and container metrics carry zone="vGPU" last, as the
// scheduler's do. Pure; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "base/build_info.h"
#include "monitor/snapshot.h"

namespace hami::monitor {

using base::BuildInfo;

struct RenderOptions {
  bool legacy = false;  // --legacy-metrics: also upstream's pre-2.5 names
  BuildInfo build;
};

std::string RenderMetrics(const Snapshot& snapshot, const RenderOptions& options);

// Names of every family RenderMetrics writes with these options (rendered from an empty snapshot).
std::vector<std::string> MetricNames(bool legacy);

}  // namespace hami::monitor
