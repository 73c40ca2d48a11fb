// Allocator: the kubelet's Allocate and GetPreferredAllocation against the API server
// (hami-wire §5.2, §5.3); the decisions are made by the pure functions of allocate.h.
//
// Allocate: finds the pod being placed, plans every container, prepares the host directories and
// patches the pod's to-allocate annotation with the allocated entries emptied; when nothing is
// left it sets hami.io/bind-phase=success. Any failure after the pod is known sets
// bind-phase=failed; the error (naming the pod) goes back to the kubelet.
// Finding the pod, two ways:
//   * with `kubelet_pods` (the kubelet's pod-resources List): admitted_pod.h's rule, no node lock;
//     the last container's patch also carries bind-phase and the hami.io/vgpu-node label, so a pod
//     costs one write here, which `finish` (when set) sends after the answer (finish_writer.h
//     says why that cannot serve a booking twice). The pods bound here are read first from
//     `node_pods` (a watch cache: no API call), then, when that view names no single pod (it may
//     lag the Binding), from a fresh LIST. Ambiguity or no match is retried on fresh views, then an
//     error; so is a write the API server refuses as Unavailable (429, 5xx, no connection), since
//     failing the Allocate would fail the pod for good.
//   * without (upstream's protocol): the node lock's owner when it is bound here with NVIDIA
//     devices left, else the first pending pod of SelectPendingPod; the lock is released when the
//     pod is done or failed.
// Mode "mig" (settings.mig): before the patch, each container's bookings in
// hami.io/vgpu-mig-allocations are realized by the MigManager (created or reused), the container
// sees their MIG UUIDs, and the same patch writes the realized ids back into that annotation.
// Thread-safe: Allocate calls are serialized by an internal mutex (as upstream).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/result.h"
#include "deviceplugin/admitted_pod.h"
#include "deviceplugin/allocate.h"
#include "deviceplugin/finish_writer.h"
#include "deviceplugin/mig_manager.h"
#include "deviceplugin/volcano.h"
#include "k8s/kube_api.h"
#include "k8s/node_lock.h"

namespace hami::deviceplugin {

struct AllocatorConfig {
  std::string node_name;
  AllocateSettings settings;
  std::function<std::string()> new_cache_name;  // default: random UUID
  // The kubelet's pod-resources List (PodResourcesClient::List); empty: the node-lock protocol.
  std::function<base::Result<std::vector<KubeletPod>>()> kubelet_pods;
  // With kubelet_pods: the pods bound to this node that may be asking, as a watch cache shows
  // them (at least every Pending one: PendingPods), nullopt while it is not synced; empty
  // function: every look is a LIST.
  std::function<std::optional<std::vector<nlohmann::json>>()> node_pods;
  // Tries of an ambiguous or missing match, and of a write refused as Unavailable, `retry_delay`
  // apart on `env`'s clock.
  int match_attempts = 5;
  std::chrono::milliseconds retry_delay{200};
  base::Env* env = base::Env::Default();
  // With kubelet_pods, HAMi's keys and not mode "mig": sends each pod's last patch after the
  // answer (owned by the service); null: written before answering.
  FinishWriter* finish = nullptr;
  // Mode "mig": realizes the bookings (owned by the service); null otherwise.
  MigManager* mig = nullptr;
  // The pod annotations read and written (volcano.h). Volcano's: pods are read through
  // ViewAsHami, the node lock is not consulted (the pending pod with the oldest bind-time is
  // served, as upstream Volcano's plugin does), no hami.io/vgpu-node label is set, and a pod
  // whose volcano.sh/vgpu-mode is not hami-core is refused.
  PodKeys keys = HamiPodKeys();
};

class Allocator final : public AllocateHandler {
 public:
  Allocator(k8s::KubeApi& api, k8s::NodeLocker& locker, AllocatorConfig config);

  // `requests`: per container, the replica IDs the kubelet chose. Returns one allocation per
  // request, in order.
  base::Result<std::vector<ContainerAllocation>> Allocate(
      const std::vector<std::vector<std::string>>& requests) override;

  // Never fails: without a pending pod every container gets no preference.
  std::vector<std::vector<std::string>> Preferred(
      const std::vector<PreferredRequest>& requests,
      const std::map<std::string, std::string>& replica_to_uuid) override;

  // Settings are replaced when discovery changes the uuid -> index/device-node maps.
  void UpdateSettings(const AllocateSettings& settings);

 private:
  // The pod and its raw JSON (for securityContext).
  struct PodRecord {
    model::Pod pod;
    nlohmann::json json;
  };
  base::Result<PodRecord> FindPendingPod();
  base::Result<PodRecord> FindLockOwner();
  base::Result<PodRecord> FindAdmittedPod();
  // AdmittedPod over `items` (pods bound here, as JSON) and the kubelet's list.
  base::Result<PodRecord> MatchAdmitted(const std::vector<nlohmann::json>& items,
                                        const std::vector<KubeletPod>& kubelet);
  void Finish(const model::Pod& pod);
  base::Result<std::vector<ContainerAllocation>> AllocateFor(
      const PodRecord& record, const std::vector<std::vector<std::string>>& requests);
  base::Status SetBindPhase(const model::Pod& pod, const char* phase);
  // Mode "mig": realizes the planned containers' bookings, sets their visible devices; returns
  // the pod's hami.io/vgpu-mig-allocations with the realized ids.
  base::Result<std::string> RealizeMig(const model::Pod& pod,
                                       const std::vector<std::vector<std::string>>& requests,
                                       std::vector<ContainerAllocation>& containers);
  // Ends the node lock of `pod`'s bind: HAMi's (node-lock protocol only) or Volcano's.
  void ReleaseLock(const model::Pod& pod);
  // `write` tried up to match_attempts times while it fails Unavailable.
  base::Status TryWrite(const std::function<base::Status()>& write);

  k8s::KubeApi& api_;
  k8s::NodeLocker& locker_;
  AllocatorConfig config_;
  std::mutex mu_;
  // UIDs of pods whose admission this allocator ended (served or refused), newest last; bounded.
  std::set<std::string> finished_;
  std::deque<std::string> finished_order_;
};

// A random (version 4) UUID string.
std::string RandomUuid();

}  // namespace hami::deviceplugin
