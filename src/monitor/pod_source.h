// PodSource: the pods on this node, from the API server (two informers: label
// hami.io/vgpu-node=<node>, as upstream's metrics path, and field spec.nodeName=<node>, as
// upstream's cleanup path; their union by UID). The informers reconnect with backoff on their own;
// while the API server is unreachable the last known list stays in use. Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/env.h"
#include "k8s/informer.h"
#include "k8s/kube_api.h"
#include "monitor/container_dir.h"
#include "monitor/snapshot.h"

namespace hami::monitor {

// The parts of a pod JSON the monitor uses. Pure.
PodRef PodRefFromJson(const nlohmann::json& pod);

class PodSource {
 public:
  // `api` must outlive this object.
  // `env`: the clock and sleeps of the informers' backoff.
  PodSource(k8s::KubeApi* api, const std::string& node, base::Env* env = base::Env::Default());
  ~PodSource();
  void Start();
  void Stop();
  // Both informers have listed once.
  bool Synced() const;
  // nullopt until Synced().
  std::optional<std::vector<PodRef>> Pods() const;
  PodPresence Presence() const;
  // UIDs of the pods on this node from a fresh LIST (both selectors), bypassing the informer
  // caches: cleanup confirms with it, so a cache gone stale during an API outage never deletes the
  // directory of a pod created meanwhile. Unavailable when the API server cannot be reached.
  base::Result<std::set<std::string>> FreshUids() const;

 private:
  k8s::KubeApi* api_;
  std::string node_;
  std::unique_ptr<k8s::Informer> by_label_;
  std::unique_ptr<k8s::Informer> by_node_;
};

}  // namespace hami::monitor
