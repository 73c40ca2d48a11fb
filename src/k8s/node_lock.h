// NodeLocker: takes and releases HAMi's node lock (hami-wire §3.8) through the API server.
//
// The lock is a node annotation, `hami.io/mutex.lock` = "<RFC3339>,<ns>,<name>" by default
// (grammar in codec/node_lock.h); a vendor may name another key whose value is a bare time. Acquire
// sets it with a merge patch guarded by metadata.resourceVersion, retrying optimistic-concurrency
// conflicts with backoff (100 ms, doubling); a lock that is ours already is kept, one older than
// `lock_timeout`, unparsable, or whose owner pod is gone is taken over; any other is "node lock
// contention" (Unavailable). Release removes it only when held by the given pod (or legacy,
// ownerless). Shared by the extender's /bind (acquire) and the device plugin's Allocate (release).
//
// Within one process, lock operations on the same node are serialized (one mutex per node, as
// upstream), so concurrent binds onto one node queue here instead of racing into 409 conflicts and
// backoff sleeps. The node's resourceVersion and lock value returned by our own last successful
// patch are remembered and used instead of a GET when they lead to a write; when someone else
// changed the node meanwhile the patch fails with a conflict, the memory is dropped and the next
// attempt GETs (no sleep). A refusal (contention) or a no-op is only ever decided on a fresh GET.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "base/env.h"
#include "base/result.h"
#include "base/status.h"
#include "k8s/kube_api.h"
#include "model/protocol.h"

namespace hami::k8s {

struct NodeLockConfig {
  std::chrono::seconds lock_timeout{std::chrono::minutes(5)};  // --node-lock-timeout
  int lock_attempts = 5;                                       // optimistic-concurrency retries
  // The wall clock that stamps and judges locks, and the backoff sleeps.
  base::Env* env = base::Env::Default();
  // The node annotation holding the lock, and whether its value names the owner pod
  // ("<RFC3339>,<ns>,<name>") or is a bare RFC 3339 time (Cambricon's cambricon.com/dsmlu.lock).
  std::string annotation = model::kNodeLockAnnotation;
  bool owner_in_value = true;
};

class NodeLocker {
 public:
  NodeLocker(KubeApi& api, NodeLockConfig config);

  base::Status Acquire(const std::string& node, const std::string& ns, const std::string& pod);
  base::Status Release(const std::string& node, const std::string& ns, const std::string& pod);

  // The wall clock, in Unix seconds (config.env).
  int64_t Now() const;

 private:
  // Reads the node's lock value, asks `decide` for the new one (nullopt: leave it; JSON null:
  // remove it), and patches it guarded by resourceVersion, retrying conflicts with backoff.
  using LockDecision =
      std::function<base::Result<std::optional<nlohmann::json>>(const std::string& current)>;
  base::Status Update(const std::string& node_name, std::string_view what,
                      const LockDecision& decide);

  // What our last successful patch of a node left there, and the mutex serializing its updates.
  struct NodeSlot {
    std::mutex mu;
    bool known = false;  // resource_version/lock below are from our last patch of this node
    std::string resource_version;
    std::string lock;
  };
  NodeSlot& SlotFor(const std::string& node_name);  // created on first use, never freed

  KubeApi& api_;
  NodeLockConfig config_;
  std::mutex slots_mu_;
  std::unordered_map<std::string, std::unique_ptr<NodeSlot>> slots_;
};

}  // namespace hami::k8s
