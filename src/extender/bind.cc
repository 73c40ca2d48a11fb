#include "extender/bind.h"

#include "base/log.h"
#include "codec/mig_allocations.h"
#include "codec/pod_devices.h"
#include "k8s/api_status.h"
#include "vendor/cluster_state.h"
#include "vendor/nvidia/nvidia_vendor.h"

namespace hami::extender {

Binder::Binder(k8s::KubeApi& api, SchedulerCache& cache, const vendor::Registry& registry,
               BindConfig config)
    : api_(api), cache_(cache), registry_(registry), locker_(api, std::move(config)) {}

base::Status Binder::AcquireNodeLock(const std::string& node_name, const std::string& ns,
                                     const std::string& pod) {
  return locker_.Acquire(node_name, ns, pod);
}

base::Status Binder::ReleaseNodeLock(const std::string& node_name, const std::string& ns,
                                     const std::string& pod) {
  return locker_.Release(node_name, ns, pod);
}

base::Status Binder::PatchPod(const BindArgs& args, const Assumption& assumption) {
  const std::string now = std::to_string(locker_.Now());
  nlohmann::json annotations = {{vendor::kVgpuNodeAnnotation, assumption.node},
                                {kVgpuTimeAnnotation, now},
                                {kBindPhaseAnnotation, kBindPhaseAllocating},
                                {kBindTimeAnnotation, now}};
  for (const auto& [vendor_name, devices] : assumption.devices) {
    const vendor::Vendor* vendor = registry_.Find(vendor_name);
    if (vendor == nullptr) return base::Internal("unknown vendor " + vendor_name);
    HAMI_ASSIGN_OR_RETURN(std::string encoded, codec::EncodePodSingleDevice(devices));
    annotations[vendor->Keys().to_allocate_annotation] = encoded;
    annotations[vendor->Keys().allocated_annotation] = encoded;
  }
  if (!assumption.mig.empty()) {
    HAMI_ASSIGN_OR_RETURN(std::string mig, codec::EncodeMigAllocations(assumption.mig));
    annotations[vendor::nvidia::kMigAllocationsAnnotation] = mig;
  }
  nlohmann::json patch = {{"metadata",
                           {{"annotations", annotations},
                            {"labels", {{vendor::kVgpuNodeAnnotation, assumption.node}}}}}};
  auto patched = api_.Patch(k8s::PodsPath(args.pod_namespace, args.pod_name),
                            k8s::PatchType::kMerge, patch);
  return patched.ok() ? base::Status() : patched.error();
}

Binder::BindingOutcome Binder::CheckBinding(const BindArgs& args) {
  auto pod = api_.Get(k8s::PodsPath(args.pod_namespace, args.pod_name));
  if (!pod.ok()) {
    return k8s::IsNotFound(pod.status()) ? BindingOutcome::kNotBound : BindingOutcome::kUnknown;
  }
  const nlohmann::json& meta = pod->value("metadata", nlohmann::json::object());
  if (!args.pod_uid.empty() && meta.value("uid", "") != args.pod_uid) return BindingOutcome::kNotBound;
  const std::string node = pod->value("spec", nlohmann::json::object()).value("nodeName", "");
  return node == args.node ? BindingOutcome::kBound : BindingOutcome::kNotBound;
}

base::Status Binder::Bind(const BindArgs& args) {
  const std::string key = args.pod_namespace + "/" + args.pod_name;
  std::optional<Assumption> assumption = cache_.Assumed(args.pod_uid);
  if (!assumption) {
    // Either the pod asks for no device (nothing to write) or its assumption expired.
    auto status = k8s::BindPod(api_, args.pod_namespace, args.pod_name, args.pod_uid, args.node);
    return status.ok() ? status : status.WithContext("bind " + key);
  }
  if (assumption->node != args.node) {
    cache_.Forget(args.pod_uid);
    return base::FailedPrecondition("bind " + key + ": filter chose node " + assumption->node +
                                    ", bind asked for " + args.node);
  }
  HAMI_RETURN_IF_ERROR(AcquireNodeLock(args.node, args.pod_namespace, args.pod_name));
  base::Status status = PatchPod(args, *assumption);
  if (!status.ok()) return Undo(args, status.WithContext("bind " + key));
  status = k8s::BindPod(api_, args.pod_namespace, args.pod_name, args.pod_uid, args.node);
  if (status.ok()) return {};
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
      return Undo(args, status.WithContext("bind " + key));
    case BindingOutcome::kUnknown:
      break;
  }
  // Unknown: keep the lock (it expires, is taken over once the pod is gone, and is ours again if
  // kube-scheduler retries this pod) and the assumption (it expires; a bound pod's annotations
  // book its devices anyway).
  return base::Status(status.code(), "bind " + key + ": " + status.message() +
                                         "; whether the pod is bound is unknown, node lock kept");
}

base::Status Binder::Undo(const BindArgs& args, base::Status error) {
  (void)ReleaseNodeLock(args.node, args.pod_namespace, args.pod_name);
  cache_.Forget(args.pod_uid);
  return error;
}

}  // namespace hami::extender
