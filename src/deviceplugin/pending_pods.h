// PendingPods: the few pods of a node the lockless Allocate can be asked for, kept from the
// node's pod informer events, so that each Allocate and GetPreferredAllocation copies those
// instead of every pod bound to the node (a full node holds hundreds of finished and running
// pods). Thread-safe: the informer thread writes, Allocate threads read.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "k8s/informer.h"

namespace hami::deviceplugin {

// Whether a pod (as JSON) is kept: phase Pending (the only phase AwaitsAllocation accepts; the
// rest of its rule is judged on the copy), or hami.io/bind-phase still allocating (a pod that
// started before its last patch landed: FinishWriter's repair looks for those).
bool KeptAsPending(const nlohmann::json& pod);

class PendingPods {
 public:
  // Handlers to give the node's pod informer; they capture `this`, which must outlive it.
  k8s::InformerHandlers Handlers();

  // The kept pods, or nullopt before the informer's first list was delivered.
  std::optional<std::vector<nlohmann::json>> List() const;

 private:
  void Put(const nlohmann::json& pod);
  void Drop(const nlohmann::json& pod);
  void Replace(const std::vector<nlohmann::json>& pods);

  mutable std::mutex mu_;
  bool synced_ = false;
  std::map<std::string, nlohmann::json> pods_;  // by metadata.uid
};

}  // namespace hami::deviceplugin
