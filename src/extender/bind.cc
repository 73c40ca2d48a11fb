#include "extender/bind.h"

#include "base/log.h"
#include "k8s/api_status.h"
#include "model/protocol.h"
#include "vendor/cluster_state.h"

namespace hami::extender {

Binder::Binder(k8s::KubeApi& api, SchedulerCache& cache, const vendor::Registry& registry,
               const BindConfig& config)
    : api_(api), cache_(cache), registry_(registry), locker_(api, config) {
  for (const auto& vendor : registry_.vendors()) {
    const std::optional<vendor::NodeLockSpec> spec = vendor->Lock();
    if (!spec || spec->annotation == config.annotation ||
        other_lockers_.count(spec->annotation) != 0) {
      continue;
    }
    k8s::NodeLockConfig own = config;
    own.annotation = spec->annotation;
    own.owner_in_value = spec->owner_in_value;
    if (spec->timeout_seconds > 0) own.lock_timeout = std::chrono::seconds(spec->timeout_seconds);
    other_lockers_[spec->annotation] = std::make_unique<k8s::NodeLocker>(api_, own);
  }
}

std::vector<k8s::NodeLocker*> Binder::LockersFor(const Assumption& assumption) {
  std::map<std::string, k8s::NodeLocker*> by_key;
  for (const auto& [vendor_name, containers] : assumption.devices) {
    bool app = false;
    for (size_t c = assumption.init_count; c < containers.size(); ++c) {
      app = app || !containers[c].empty();
    }
    const vendor::Vendor* vendor = registry_.Find(vendor_name);
    if (!app || vendor == nullptr) continue;
    const std::optional<vendor::NodeLockSpec> spec = vendor->Lock();
    if (!spec) continue;
    auto it = other_lockers_.find(spec->annotation);
    by_key[spec->annotation] = it == other_lockers_.end() ? &locker_ : it->second.get();
  }
  std::vector<k8s::NodeLocker*> out;
  out.reserve(by_key.size());
  for (const auto& [key, locker] : by_key) out.push_back(locker);
  return out;
}

base::Status Binder::AcquireAll(const BindArgs& args,
                                const std::vector<k8s::NodeLocker*>& lockers) {
  for (size_t i = 0; i < lockers.size(); ++i) {
    base::Status status = lockers[i]->Acquire(args.node, args.pod_namespace, args.pod_name);
    if (status.ok()) continue;
    for (size_t j = 0; j < i; ++j) {
      (void)lockers[j]->Release(args.node, args.pod_namespace, args.pod_name);
    }
    return status;
  }
  return {};
}

base::Status Binder::AcquireNodeLock(const std::string& node_name, const std::string& ns,
                                     const std::string& pod) {
  return locker_.Acquire(node_name, ns, pod);
}

base::Status Binder::ReleaseNodeLock(const std::string& node_name, const std::string& ns,
                                     const std::string& pod) {
  return locker_.Release(node_name, ns, pod);
}

base::Result<nlohmann::json> Binder::BookingAnnotations(const Assumption& assumption) {
  const int64_t now = locker_.Now();
  const std::string stamp = std::to_string(now);
  nlohmann::json annotations = {{model::kVgpuNodeAnnotation, assumption.node},
                                {model::kVgpuTimeAnnotation, stamp},
                                {model::kBindPhaseAnnotation, model::kBindPhaseAllocating},
                                {model::kBindTimeAnnotation, stamp}};
  const model::Pod& pod = assumption.pod;
  for (const auto& [vendor_name, devices] : assumption.devices) {
    const vendor::Vendor* vendor = registry_.Find(vendor_name);
    if (vendor == nullptr) return base::Internal("unknown vendor " + vendor_name);
    std::vector<model::PartitionGrant> partitions;
    for (const auto& p : assumption.partitions) {
      if (p.vendor == vendor_name) partitions.push_back(p);
    }
    HAMI_ASSIGN_OR_RETURN(
        auto written, vendor->AllocationAnnotations(
                          {pod, assumption.node, devices, partitions, assumption.registered, now}));
    for (auto& [key, value] : written) annotations[key] = std::move(value);
  }
  return annotations;
}

base::Status Binder::PatchPod(const BindArgs& args, const Assumption& assumption) {
  HAMI_ASSIGN_OR_RETURN(nlohmann::json annotations, BookingAnnotations(assumption));
  nlohmann::json patch = {{"metadata",
                           {{"annotations", annotations},
                            {"labels", {{model::kVgpuNodeAnnotation, assumption.node}}}}}};
  auto patched =
      api_.Patch(k8s::PodsPath(args.pod_namespace, args.pod_name), k8s::PatchType::kMerge, patch);
  return patched.ok() ? base::Status() : patched.error();
}

Binder::BindingOutcome Binder::CheckBinding(const BindArgs& args) {
  auto pod = api_.Get(k8s::PodsPath(args.pod_namespace, args.pod_name));
  if (!pod.ok()) {
    return k8s::IsNotFound(pod.status()) ? BindingOutcome::kNotBound : BindingOutcome::kUnknown;
  }
  const nlohmann::json& meta = pod->value("metadata", nlohmann::json::object());
  if (!args.pod_uid.empty() && meta.value("uid", "") != args.pod_uid)
    return BindingOutcome::kNotBound;
  const std::string node = pod->value("spec", nlohmann::json::object()).value("nodeName", "");
  return node == args.node ? BindingOutcome::kBound : BindingOutcome::kNotBound;
}

base::Status Binder::Bind(const BindArgs& args) {
  const std::string key = args.pod_namespace + "/" + args.pod_name;
  // From here on the assumption does not expire: its devices stay booked until the bound pod's
  // own booking replaces it, or a failure below forgets it.
  std::optional<Assumption> assumption = cache_.BeginBind(args.pod_uid);
  if (!assumption) return BindPassedThrough(args);
  if (assumption->pod_key != key) {
    return base::FailedPrecondition("bind " + key + ": pod UID " + args.pod_uid +
                                    " was filtered as pod " + assumption->pod_key);
  }
  if (assumption->node != args.node) {
    // Kept: a caller naming another node must not undo kube-scheduler's decision (a re-filter
    // replaces the assumption anyway).
    return base::FailedPrecondition("bind " + key + ": filter chose node " + assumption->node +
                                    ", bind asked for " + args.node);
  }
  const std::vector<k8s::NodeLocker*> lockers = LockersFor(*assumption);
  if (lockers.empty()) return BindWithBooking(args, *assumption);
  base::Status status = AcquireAll(args, lockers);
  if (!status.ok()) {
    // Contention: kube-scheduler retries the pod through /filter, which decides afresh.
    cache_.Forget(args.pod_uid);
    return status;
  }
  status = PatchPod(args, *assumption);
  if (!status.ok()) return Undo(args, lockers, status.WithContext("bind " + key));
  status = k8s::BindPod(api_, args.pod_namespace, args.pod_name, args.pod_uid, args.node);
  if (status.ok()) return {};
  return SettleFailedBinding(args, lockers, status);
}

base::Status Binder::BindWithBooking(const BindArgs& args, const Assumption& assumption) {
  const std::string key = args.pod_namespace + "/" + args.pod_name;
  auto annotations = BookingAnnotations(assumption);
  if (!annotations.ok()) return Undo(args, {}, annotations.error().WithContext("bind " + key));
  base::Status status =
      k8s::BindPod(api_, args.pod_namespace, args.pod_name, args.pod_uid, args.node, *annotations);
  if (status.ok()) return {};
  return SettleFailedBinding(args, {}, status);
}

base::Status Binder::SettleFailedBinding(const BindArgs& args,
                                         const std::vector<k8s::NodeLocker*>& lockers,
                                         const base::Status& status) {
  const std::string key = args.pod_namespace + "/" + args.pod_name;
  // The Binding may have been applied although this call failed (its response lost to a timeout or
  // a broken connection, or an earlier attempt for this pod succeeded: 409 "already assigned").
  // Releasing the lock of a bound pod would let a second pod reach the device plugin while this one
  // waits for Allocate, so ask the API server what happened.
  switch (CheckBinding(args)) {
    case BindingOutcome::kBound:
      base::LogWarn("binding call failed but the pod is bound; treating as bound",
                    {{"pod", key}, {"node", args.node}, {"error", status.message()}});
      return {};
    case BindingOutcome::kNotBound:
      return Undo(args, lockers, status.WithContext("bind " + key));
    case BindingOutcome::kUnknown:
      break;
  }
  // Unknown: keep the locks (they expire, are taken over once the pod is gone, and are ours again
  // if kube-scheduler retries this pod) and the assumption (it expires; a bound pod's annotations
  // book its devices anyway).
  return base::Status(status.code(), "bind " + key + ": " + status.message() +
                                         "; whether the pod is bound is unknown" +
                                         (lockers.empty() ? "" : ", node lock kept"));
}

base::Status Binder::BindPassedThrough(const BindArgs& args) {
  const std::string key = args.pod_namespace + "/" + args.pod_name;
  std::optional<PassThrough> passed = cache_.PassedThrough(args.pod_uid);
  if (!passed) {
    return base::FailedPrecondition("bind " + key + ": no /filter decision for pod UID " +
                                    args.pod_uid + " (never filtered here, or older than the " +
                                    "filter-to-bind deadline); refusing to bind");
  }
  if (passed->pod_key != key) {
    return base::FailedPrecondition("bind " + key + ": pod UID " + args.pod_uid +
                                    " was filtered as pod " + passed->pod_key);
  }
  if (passed->nodes.count(args.node) == 0) {
    return base::FailedPrecondition("bind " + key + ": node " + args.node +
                                    " was not a candidate when the pod was filtered");
  }
  auto status = k8s::BindPod(api_, args.pod_namespace, args.pod_name, args.pod_uid, args.node);
  if (!status.ok()) return status.WithContext("bind " + key);
  cache_.Forget(args.pod_uid);
  return {};
}

base::Status Binder::Undo(const BindArgs& args, const std::vector<k8s::NodeLocker*>& lockers,
                          base::Status error) {
  for (k8s::NodeLocker* locker : lockers) {
    (void)locker->Release(args.node, args.pod_namespace, args.pod_name);
  }
  cache_.Forget(args.pod_uid);
  return error;
}

}  // namespace hami::extender
