#include "deviceplugin/xid_health.h"

#include <algorithm>

#include "base/strings.h"

namespace hami::deviceplugin {

XidPolicy ParseXidPolicy(std::optional<std::string_view> disable) {
  XidPolicy policy;
  if (!disable) return policy;
  const std::string text = base::ToLower(std::string(*disable));
  if (text == "all" || text.find("xids") != std::string::npos) {
    policy.enabled = false;
    return policy;
  }
  for (const auto& raw : base::Split(text, ',')) {
    const std::string entry(base::Trim(raw));
    if (entry.empty()) continue;
    uint64_t xid = 0;
    bool numeric =
        std::all_of(entry.begin(), entry.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        entry.size() <= 19;
    if (numeric) xid = std::stoull(entry);
    if (numeric) {
      policy.ignored.insert(xid);
    } else {
      policy.bad_entries.push_back(entry);
    }
  }
  return policy;
}

bool IsCriticalXid(const XidPolicy& policy, uint64_t xid) {
  return policy.enabled && policy.ignored.count(xid) == 0;
}

bool XidMarks::Mark(const std::string& uuid, uint64_t xid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = marks_.try_emplace(uuid);
  it->second.xid = xid;
  if (!inserted) it->second.seen_down = false;  // a new fault: wait for its own recovery
  return inserted;
}

std::vector<std::string> XidMarks::Apply(std::vector<GpuInfo>& gpus) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> recovered;
  for (auto it = marks_.begin(); it != marks_.end();) {
    auto gpu = std::find_if(gpus.begin(), gpus.end(),
                            [&](const GpuInfo& g) { return g.uuid == it->first; });
    if (gpu == gpus.end() || !gpu->healthy) {
      it->second.seen_down = true;
      ++it;
    } else if (it->second.seen_down) {
      recovered.push_back(it->first);
      it = marks_.erase(it);
    } else {
      gpu->healthy = false;
      ++it;
    }
  }
  return recovered;
}

std::map<std::string, uint64_t> XidMarks::Marked() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, uint64_t> out;
  for (const auto& [uuid, mark] : marks_) out[uuid] = mark.xid;
  return out;
}

}  // namespace hami::deviceplugin
