// /bind: write what /filter assumed, under HAMi's node lock, then bind (hami-wire §3.8).
//
// Steps: take the node locks of the vendors an app container uses (`hami.io/mutex.lock` =
// "<RFC3339>,<ns>,<name>" for most, optimistic via metadata.resourceVersion; stale after
// `lock_timeout`; taken over when its owner pod is gone or it is our own; a vendor may name its own
// key, NodeLockSpec), patch the pod's annotations in ONE merge patch (hami.io/vgpu-node, vgpu-time,
// bind-phase=allocating, bind-time and what each vendor writes, Vendor::AllocationAnnotations),
// then POST the Binding. A failure releases the lock and forgets the assumption, except when the
// Binding call failed but may have been applied: then the pod is read back; bound to this node
// counts as success (idempotent bind; upstream releases the lock here and can hand the node to a
// second pod while the first waits for Allocate), unreadable keeps the lock and the assumption and
// says so. The assumption no longer expires once /bind takes it (SchedulerCache::BeginBind): a bind
// slower than the assume TTL must not free devices a second pod could then be filtered onto. On
// success the lock stays held: the device plugin releases it after Allocate (or it expires), which
// keeps at most one pod per node between bind and device allocation. Thread-safe; performs API I/O
// through KubeApi.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "extender/scheduler_cache.h"
#include "extender/wire.h"
#include "k8s/kube_api.h"
#include "k8s/node_lock.h"
#include "vendor/registry.h"

namespace hami::extender {

// The node lock's settings (--node-lock-timeout, retries) and the clock that also stamps
// hami.io/bind-time.
using BindConfig = k8s::NodeLockConfig;

// WIRE: the reasons of the events /bind records on a pod, upstream's spelling.
inline constexpr char kBindingSucceed[] = "BindingSucceed";  // Normal
inline constexpr char kBindingFailed[] = "BindingFailed";    // Warning

class Binder {
 public:
  Binder(k8s::KubeApi& api, SchedulerCache& cache, const vendor::Registry& registry,
         const BindConfig& config);

  // Returns OK when the pod is bound. The error text is what goes into ExtenderBindingResult.
  // Binds only what /filter decided for the pod UID sent, under the namespace and name /filter saw
  // for that UID: its assumption (to the node it chose) or its pass-through (to one of the nodes it
  // was given); anything else is FailedPrecondition and binds nothing.
  base::Status Bind(const BindArgs& args);

  // hami.io/mutex.lock primitives (k8s::NodeLocker, shared with the device plugin; exposed for
  // tests).
  base::Status AcquireNodeLock(const std::string& node, const std::string& ns,
                               const std::string& pod);
  base::Status ReleaseNodeLock(const std::string& node, const std::string& ns,
                               const std::string& pod);

 private:
  // Bind of a pod /filter passed through (it asks for no device): nothing to write or lock.
  base::Status BindPassedThrough(const BindArgs& args);
  // Bind of a pod none of whose vendors needs a node lock: one Binding carrying the booking (the
  // device plugin adds the hami.io/vgpu-node label when it has served the pod).
  base::Status BindWithBooking(const BindArgs& args, const Assumption& assumption);
  // The booking written at bind (hami-wire §3.2): node, times, bind-phase allocating and each
  // vendor's allocation annotations.
  base::Result<nlohmann::json> BookingAnnotations(const Assumption& assumption);
  base::Status PatchPod(const BindArgs& args, const Assumption& assumption);
  // After a failed Binding call: OK when the pod is bound anyway, undone when it is not, and when
  // that is unknown the locks and the assumption are kept and the error says so.
  base::Status SettleFailedBinding(const BindArgs& args,
                                   const std::vector<k8s::NodeLocker*>& lockers,
                                   const base::Status& status);
  // After a failed Binding call: is the pod (this UID) bound to args.node?
  enum class BindingOutcome { kBound, kNotBound, kUnknown };
  BindingOutcome CheckBinding(const BindArgs& args);
  // The lockers of the vendors an app container of the assumption uses (Vendor::Lock), in the
  // order of their annotation keys (upstream: vendors sorted by name).
  std::vector<k8s::NodeLocker*> LockersFor(const Assumption& assumption);
  // Takes every lock in order; on a failure releases the ones taken and returns the error.
  base::Status AcquireAll(const BindArgs& args, const std::vector<k8s::NodeLocker*>& lockers);
  // Releases the locks, forgets the assumption, returns `error`.
  base::Status Undo(const BindArgs& args, const std::vector<k8s::NodeLocker*>& lockers,
                    base::Status error);

  k8s::KubeApi& api_;
  SchedulerCache& cache_;
  const vendor::Registry& registry_;
  k8s::NodeLocker locker_;  // hami.io/mutex.lock
  // Every other lock annotation a vendor names, built at construction (read-only after).
  std::map<std::string, std::unique_ptr<k8s::NodeLocker>> other_lockers_;
};

}  // namespace hami::extender
