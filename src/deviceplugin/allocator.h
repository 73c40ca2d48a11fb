// Allocator: the kubelet's Allocate and GetPreferredAllocation against the API server
// (hami-wire §5.2, §5.3); the decisions are made by the pure functions of allocate.h.
//
// Allocate: finds the pod being placed (the node lock's owner when it is bound here with NVIDIA
// devices left to allocate, else the first pending pod of SelectPendingPod), plans every
// container, prepares the host directories, patches the pod's to-allocate annotation with the
// allocated entries emptied, and when nothing is left sets hami.io/bind-phase=success and releases
// the node lock. Any failure after the pod is known sets bind-phase=failed and releases the lock;
// the error (naming the pod) goes back to the kubelet.
// Thread-safe: Allocate calls are serialized by an internal mutex (as upstream).
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "deviceplugin/allocate.h"
#include "k8s/kube_api.h"
#include "k8s/node_lock.h"

namespace hami::deviceplugin {

struct AllocatorConfig {
  std::string node_name;
  AllocateSettings settings;
  std::function<std::string()> new_cache_name;  // default: random UUID
};

class Allocator {
 public:
  Allocator(k8s::KubeApi& api, k8s::NodeLocker& locker, AllocatorConfig config);

  // `requests`: per container, the replica IDs the kubelet chose. Returns one allocation per
  // request, in order.
  base::Result<std::vector<ContainerAllocation>> Allocate(
      const std::vector<std::vector<std::string>>& requests);

  // Never fails: without a pending pod every container gets no preference.
  std::vector<std::vector<std::string>> Preferred(
      const std::vector<PreferredRequest>& requests,
      const std::map<std::string, std::string>& replica_to_uuid);

  // Settings are replaced when discovery changes the uuid -> index/device-node maps.
  void UpdateSettings(const AllocateSettings& settings);

 private:
  // The pod and its raw JSON (for securityContext).
  struct PodRecord {
    model::Pod pod;
    nlohmann::json json;
  };
  base::Result<PodRecord> FindPendingPod();
  base::Result<std::vector<ContainerAllocation>> AllocateFor(
      const PodRecord& record, const std::vector<std::vector<std::string>>& requests);
  base::Status SetBindPhase(const model::Pod& pod, const char* phase);

  k8s::KubeApi& api_;
  k8s::NodeLocker& locker_;
  AllocatorConfig config_;
  std::mutex mu_;
};

// A random (version 4) UUID string.
std::string RandomUuid();

}  // namespace hami::deviceplugin
