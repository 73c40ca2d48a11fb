#include "webui/pending.h"

#include <algorithm>

namespace hami::webui {

void PendingTracker::Record(const std::string& ns, const std::string& name, const std::string& uid,
                            bool placed, std::vector<PendingReason> reasons, int64_t now_unix) {
  const std::string key = ns + "/" + name;
  std::lock_guard<std::mutex> lock(mu_);
  generation_++;
  if (placed) {
    entries_.erase(key);
    return;
  }
  PendingEntry& e = entries_[key];
  if (e.uid != uid || e.since == 0) e.since = now_unix;
  e.namespace_name = ns;
  e.name = name;
  e.uid = uid;
  e.updated = now_unix;
  e.reasons = std::move(reasons);
  EvictLocked();
}

void PendingTracker::EvictLocked() {
  while (entries_.size() > max_) {
    auto oldest = std::min_element(
        entries_.begin(), entries_.end(),
        [](const auto& a, const auto& b) { return a.second.updated < b.second.updated; });
    entries_.erase(oldest);
  }
}

void PendingTracker::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.erase(key) > 0) generation_++;
}

void PendingTracker::Retain(const std::set<std::string>& pending) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (pending.count(it->first) == 0) {
      it = entries_.erase(it);
      generation_++;
    } else {
      ++it;
    }
  }
}

std::optional<PendingEntry> PendingTracker::Get(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, PendingEntry> PendingTracker::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_;
}

uint64_t PendingTracker::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

}  // namespace hami::webui
