// /bind: write what /filter assumed, under HAMi's node lock, then bind (hami-wire §3.8).
//
// Steps: take the node lock (`hami.io/mutex.lock` = "<RFC3339>,<ns>,<name>", optimistic via
// metadata.resourceVersion; stale after `lock_timeout`; taken over when its owner pod is gone or it
// is our own), patch the pod's annotations in ONE merge patch (hami.io/vgpu-node, vgpu-time, each
// vendor's to-allocate + allocated, MIG allocations, bind-phase=allocating, bind-time), then POST
// the Binding. A failure releases the lock and forgets the assumption, except when the Binding call
// failed but may have been applied: then the pod is read back; bound to this node counts as success
// (idempotent bind; upstream releases the lock here and can hand the node to a second pod while the
// first waits for Allocate), unreadable keeps the lock and the assumption and says so. On success
// the lock stays held: the device plugin releases it after Allocate (or it expires), which keeps at
// most one pod per node between bind and device allocation.
// Thread-safe; performs API I/O through KubeApi.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "extender/scheduler_cache.h"
#include "extender/wire.h"
#include "k8s/kube_api.h"
#include "k8s/node_lock.h"
#include "vendor/registry.h"

namespace hami::extender {

// WIRE: pod annotations written at bind.
inline constexpr char kVgpuTimeAnnotation[] = "hami.io/vgpu-time";
inline constexpr char kBindPhaseAnnotation[] = "hami.io/bind-phase";
inline constexpr char kBindTimeAnnotation[] = "hami.io/bind-time";
inline constexpr char kBindPhaseAllocating[] = "allocating";

// The node lock's settings (--node-lock-timeout, retries) and the clock that also stamps
// hami.io/bind-time.
using BindConfig = k8s::NodeLockConfig;

class Binder {
 public:
  Binder(k8s::KubeApi& api, SchedulerCache& cache, const vendor::Registry& registry,
         BindConfig config);

  // Returns OK when the pod is bound. The error text is what goes into ExtenderBindingResult.
  base::Status Bind(const BindArgs& args);

  // Node lock primitives (k8s::NodeLocker, shared with the device plugin; exposed for tests).
  base::Status AcquireNodeLock(const std::string& node, const std::string& ns,
                               const std::string& pod);
  base::Status ReleaseNodeLock(const std::string& node, const std::string& ns,
                               const std::string& pod);

 private:
  base::Status PatchPod(const BindArgs& args, const Assumption& assumption);
  // After a failed Binding call: is the pod (this UID) bound to args.node?
  enum class BindingOutcome { kBound, kNotBound, kUnknown };
  BindingOutcome CheckBinding(const BindArgs& args);
  // Releases the lock, forgets the assumption, returns `error`.
  base::Status Undo(const BindArgs& args, base::Status error);

  k8s::KubeApi& api_;
  SchedulerCache& cache_;
  const vendor::Registry& registry_;
  k8s::NodeLocker locker_;
};

}  // namespace hami::extender
