// Glue between Kubernetes objects and the scheduling core's state: a node's devices from every
// vendor's registration, and what a pod that already holds devices books. Used by the extender's
// cache, `hami simulate` and `hami smi`. Pure.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "codec/k8s_object.h"
#include "model/grant.h"
#include "model/pod.h"
#include "sched/snapshot.h"
#include "sched/usage.h"
#include "vendor/registry.h"

namespace hami::vendor {

// The handshake of every vendor that has one (VendorKeys::handshake_annotation) and registered
// devices on the node, judged at `now_unix` against the allocatable count of its HealthResource
// (codec::JudgeHandshake): the vendors whose device plugin stopped answering, and the annotation
// values the scheduler owes.
struct NodeHealth {
  std::set<std::string> dead_vendors;
  std::map<std::string, std::string> writes;  // annotation -> value
  friend bool operator==(const NodeHealth&, const NodeHealth&) = default;
};
NodeHealth JudgeNode(const codec::NodeObject& node, const Registry& registry, int64_t now_unix);

// Devices of every vendor that registered on the node, in registry order, plus topology scores,
// vendor node facts and cordoned devices; devices of `dead_vendors` are marked unhealthy (their
// pods fail with CardNotHealth instead of vanishing). A vendor with nothing on the node
// contributes nothing; NotFound when no vendor registered at all; a malformed registration is an
// InvalidArgument naming the node and annotation.
base::Result<sched::NodeState> NodeStateFromNode(const codec::NodeObject& node,
                                                 const Registry& registry,
                                                 const std::set<std::string>& dead_vendors = {});

// Everything a pod holds, from each vendor's annotations (vendors it holds nothing of are absent).
struct PodGrants {
  model::PodDevices devices;                      // by vendor key
  std::vector<model::PartitionGrant> partitions;  // every vendor's partition instances
  bool Empty() const { return devices.empty(); }
};
// Malformed annotations are an error naming the pod and annotation.
base::Result<PodGrants> GrantedDevices(const model::Pod& pod, const Registry& registry);

// Per vendor key, the tags the pod's bookings carry (Vendor::BookingTags); vendors without tags
// are absent.
std::map<std::string, std::vector<std::string>> BookingTags(const model::Pod& pod,
                                                            const Registry& registry);

// What `grants` of `pod` book on their node (sched::MakePodBooking with the pod's tags).
sched::PodBooking BookingOf(const model::Pod& pod, const PodGrants& grants,
                            const Registry& registry);

}  // namespace hami::vendor
