// PendingTracker: the last /filter outcome of each pending GPU pod, for the web UI's "pending and
// why". Bounded (kMaxPending entries; the oldest record is dropped first). An entry is dropped when
// its pod is placed (a /filter that chose a node), bound or deleted (Retain with the pods still
// pending). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "webui/reasons.h"

namespace hami::webui {

inline constexpr size_t kMaxPending = 10000;

struct PendingEntry {
  std::string namespace_name, name, uid;
  int64_t since = 0;    // unix seconds of the first failed /filter of this pod (UID)
  int64_t updated = 0;  // unix seconds of the last one
  std::vector<PendingReason> reasons;
};

class PendingTracker {
 public:
  explicit PendingTracker(size_t max_entries = kMaxPending) : max_(max_entries) {}

  // A /filter outcome for the pod `ns/name` (UID `uid`): `placed` drops its entry, else its
  // reasons are replaced (keeping `since` while the UID is the same).
  void Record(const std::string& ns, const std::string& name, const std::string& uid, bool placed,
              std::vector<PendingReason> reasons, int64_t now_unix);
  // Drops the entry of `ns/name`.
  void Forget(const std::string& key);
  // Drops every entry whose "ns/name" is not in `pending` (pods bound, deleted or finished).
  void Retain(const std::set<std::string>& pending);
  std::optional<PendingEntry> Get(const std::string& key) const;
  std::map<std::string, PendingEntry> All() const;  // by "ns/name"
  // Bumped on every change, so the UI's stream can tell when to update.
  uint64_t generation() const;

 private:
  void EvictLocked();

  const size_t max_;
  mutable std::mutex mu_;
  std::map<std::string, PendingEntry> entries_;
  uint64_t generation_ = 0;
};

}  // namespace hami::webui
