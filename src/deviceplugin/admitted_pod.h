// Which pod an Allocate belongs to, without a node lock (docs/scheduler.md, "Bind without a node
// lock"). Pure; thread-compatible.
//
// The kubelet's Allocate names device IDs, never a pod. Three facts single the pod out:
//   * the scheduler's booking is on the pod before its Binding (hami.io/vgpu-devices-to-allocate,
//     hami.io/bind-phase=allocating, hami.io/vgpu-node), so the pods that may be asking are the
//     ones bound here with NVIDIA entries left to allocate;
//   * the kubelet admits one pod of a node at a time, and adds a pod to its pod manager right
//   before
//     admitting it, so its pod-resources List shows the pod being admitted, the pods admitted
//     before (with their device IDs) and never a pod it has not started on;
//   * a pod whose admission ended (allocated, or refused by us) is no longer asking: the caller
//     passes the UIDs it has finished with, which also covers an API server view that lags behind
//     the plugin's own writes.
// A bound pod deleted before its admission is absent from the kubelet's list, so it never
// matches. The one case left with two candidates is a pod the kubelet refused before asking us
// (another admission handler), listed until its Failed status reaches the API server: that is an
// error for the caller to retry on a fresh view, never a guess (the GPUs of the request's IDs do
// not settle it: without a preference the kubelet may pick replicas on either pod's GPUs).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "model/pod.h"

namespace hami::deviceplugin {

// A pod the kubelet's pod-resources List shows (the devices it lists are not needed: whether a
// pod still awaits allocation is on the pod, written by this plugin as it serves each container).
struct KubeletPod {
  std::string namespace_name;
  std::string name;
};

// True when `pod` is bound to `node` by our scheduler and still has NVIDIA devices to allocate:
// phase Pending, hami.io/bind-time set, hami.io/bind-phase allocating or success,
// hami.io/vgpu-node == node, and an NVIDIA entry left in hami.io/vgpu-devices-to-allocate.
bool AwaitsAllocation(const model::Pod& pod, const std::string& node);

// The pod the kubelet is admitting now, from `bound` (the pods bound to `node`), `kubelet` (its
// pod-resources List) and `finished` (UIDs whose admission this plugin already ended).
// Errors: NotFound when no pod qualifies, FailedPrecondition naming the pods when more than one
// does; the caller may re-read both views and retry.
base::Result<model::Pod> AdmittedPod(const std::vector<model::Pod>& bound, const std::string& node,
                                     const std::vector<KubeletPod>& kubelet,
                                     const std::set<std::string>& finished);

}  // namespace hami::deviceplugin
