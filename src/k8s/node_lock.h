// NodeLocker: takes and releases HAMi's node lock (hami-wire §3.8) through the API server.
//
// The lock is the node annotation `hami.io/mutex.lock` = "<RFC3339>,<ns>,<name>" (grammar in
// codec/node_lock.h). Acquire sets it with a merge patch guarded by metadata.resourceVersion,
// retrying optimistic-concurrency conflicts with backoff (100 ms, doubling); a lock that is ours
// already is kept, one older than `lock_timeout`, unparsable, or whose owner pod is gone is taken
// over; any other is "node lock contention" (Unavailable). Release removes it only when held by
// the given pod (or legacy, ownerless). Shared by the extender's /bind (acquire) and the device
// plugin's Allocate (release).
// Thread-safe (no state besides the KubeApi, which is thread-safe).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "base/status.h"
#include "k8s/kube_api.h"

namespace hami::k8s {

struct NodeLockConfig {
  std::chrono::seconds lock_timeout{std::chrono::minutes(5)};  // --node-lock-timeout
  int lock_attempts = 5;                                        // optimistic-concurrency retries
  std::function<int64_t()> unix_now;                            // seconds; defaults to the clock
};

class NodeLocker {
 public:
  NodeLocker(KubeApi& api, NodeLockConfig config);

  base::Status Acquire(const std::string& node, const std::string& ns, const std::string& pod);
  base::Status Release(const std::string& node, const std::string& ns, const std::string& pod);

  int64_t Now() const;

 private:
  // Reads the node's lock value, asks `decide` for the new one (nullopt: leave it; JSON null:
  // remove it), and patches it guarded by resourceVersion, retrying conflicts with backoff.
  using LockDecision = std::function<base::Result<std::optional<nlohmann::json>>(
      const std::string& current)>;
  base::Status Update(const std::string& node_name, std::string_view what,
                      const LockDecision& decide);

  KubeApi& api_;
  NodeLockConfig config_;
};

}  // namespace hami::k8s
