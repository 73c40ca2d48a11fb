#include "net/build_info_metric.h"

namespace hami::net {

void WriteBuildInfo(PrometheusText& out, const base::BuildInfo& build) {
  out.Family("hami_build_info", "A metric with a constant '1' value labeled by build information",
             MetricType::kGauge);
  out.Sample("hami_build_info",
             {{"version", build.version},
              {"revision", build.revision},
              {"build_date", build.build_date},
              {"go_version", ""},
              {"compiler", build.compiler},
              {"platform", build.platform}},
             1);
}

}  // namespace hami::net
