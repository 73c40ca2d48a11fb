#include "monitor/fault_log.h"

#include "base/log.h"

namespace hami::monitor {

void FaultLog::Round(const std::map<std::string, std::vector<RegionFault>>& by_dir) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::set<std::string>> now;
  for (const auto& [dir, faults] : by_dir) {
    std::map<std::string, std::string> details;  // reason -> details joined
    for (const RegionFault& f : faults) {
      std::string& d = details[f.reason];
      d += (d.empty() ? "" : "; ") + f.detail;
    }
    const std::set<std::string>& before = active_[dir];
    for (const auto& [reason, detail] : details) {
      now[dir].insert(reason);
      if (before.count(reason) != 0) continue;
      ++counts_[reason];
      base::LogWarn("distrusting shared region",
                    {{"dir", containers_dir_ + "/" + dir}, {"reason", reason}, {"detail", detail}});
    }
  }
  active_ = std::move(now);
}

std::map<std::string, uint64_t> FaultLog::Counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

}  // namespace hami::monitor
