#include "monitor/feedback.h"

#include <map>

namespace hami::monitor {
namespace {

// uuid -> (priority -> active containers).
using ActiveCounts = std::map<std::string, std::map<int32_t, int>>;

bool HigherActive(const std::map<int32_t, int>& counts, int32_t priority) {
  for (const auto& [p, n] : counts) {
    if (p >= priority) break;
    if (n > 0) return true;
  }
  return false;
}

// Upstream CheckBlocking: the first uuid present in the table decides.
bool Blocked(const ActiveCounts& active, const FeedbackInput& c) {
  for (const std::string& uuid : c.uuids) {
    auto it = active.find(uuid);
    if (it != active.end()) return HigherActive(it->second, c.priority);
  }
  return false;
}

// Upstream CheckPriority: any uuid with a higher-priority or a second same-priority container.
bool Contended(const ActiveCounts& active, const FeedbackInput& c) {
  for (const std::string& uuid : c.uuids) {
    auto it = active.find(uuid);
    if (it == active.end()) continue;
    if (HigherActive(it->second, c.priority)) return true;
    auto same = it->second.find(c.priority);
    if (same != it->second.end() && same->second > 1) return true;
  }
  return false;
}

}  // namespace

std::vector<FeedbackOutput> Observe(const std::vector<FeedbackInput>& containers) {
  std::vector<FeedbackOutput> out(containers.size());
  ActiveCounts active;
  for (size_t i = 0; i < containers.size(); ++i) {
    const FeedbackInput& c = containers[i];
    out[i] = {c.recent_kernel, c.utilization_switch};
    if (c.recent_kernel <= 0) continue;
    --out[i].recent_kernel;
    if (out[i].recent_kernel <= 0) continue;
    for (const std::string& uuid : c.uuids) {
      if (!uuid.empty()) ++active[uuid][c.priority];
    }
  }
  for (size_t i = 0; i < containers.size(); ++i) {
    const FeedbackInput& c = containers[i];
    if (Blocked(active, c)) {
      if (out[i].recent_kernel >= 0) out[i].recent_kernel = -1;
    } else if (out[i].recent_kernel < 0) {
      out[i].recent_kernel = 0;
    }
    out[i].utilization_switch = Contended(active, c) ? 1 : 0;
  }
  return out;
}

}  // namespace hami::monitor
