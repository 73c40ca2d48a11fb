// hami_build_info{version,revision,build_date,go_version,compiler,platform} 1, as upstream exports
// it from both the scheduler and the monitor (go_version is always empty here).
#pragma once

#include "base/build_info.h"
#include "net/prometheus_text.h"

namespace hami::net {

// WIRE: metric name and label names (hami-wire §6).
void WriteBuildInfo(PrometheusText& out, const base::BuildInfo& build);

}  // namespace hami::net
