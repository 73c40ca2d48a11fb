// What hami-scheduler's web UI reads from outside: the query string of its API (any HTTP client)
// and each node monitor's /metrics text (the scraper's input; a node is not trusted).
// Input: one selector byte, then the text. Properties beyond no crash or UB: accepted list
// parameters lie within their documented ranges (page >= 1, pageSize 1..kMaxPageSize, sort one of
// the keys); a parsed metrics text always yields a snapshot (unknown samples are ignored).
#include <cstdlib>
#include <string>
#include <vector>

#include "monitor/smi.h"
#include "webui/query.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hami;
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    (void)webui::ParseQuery(text);
    const std::vector<std::string> sorts = {"name", "gpus", "pods"};
    auto params = webui::ParseListParams(text, sorts, {"node", "namespace"});
    if (params.ok()) {
      if (params->page < 1 || params->page_size < 1 || params->page_size > webui::kMaxPageSize) {
        std::abort();
      }
      bool known = false;
      for (const auto& s : sorts) known |= params->sort == s;
      if (!known) std::abort();
    }
  } else {
    auto samples = monitor::ParsePrometheusText(text);
    if (samples.ok()) (void)monitor::SnapshotFromMetrics(*samples, "node-1");
  }
  return 0;
}
