// Glue between Kubernetes objects' annotations and the scheduling core's state: a node's devices
// from its register annotations (all vendors), and the bookings of a pod that already has devices.
// Used by the extender's caches and by `hami simulate`. Pure.
#pragma once

#include <map>
#include <string>

#include "base/result.h"
#include "model/grant.h"
#include "model/pod.h"
#include "sched/snapshot.h"
#include "vendor/registry.h"

namespace hami::vendor {

// WIRE: node annotation listing cordoned device UUIDs.
inline constexpr char kDeviceCordonAnnotation[] = "hami.io/device-cordon";
// WIRE: pod annotation naming the node the scheduler chose.
inline constexpr char kVgpuNodeAnnotation[] = "hami.io/vgpu-node";

// Devices of every vendor that registered on the node, in registry order. A vendor whose
// annotation is absent contributes nothing; NotFound when no vendor registered at all; a malformed
// annotation is an InvalidArgument naming the node and annotation.
base::Result<sched::NodeState> NodeStateFromAnnotations(
    const std::string& name, const std::map<std::string, std::string>& annotations,
    const Registry& registry);

// The devices granted to `pod` per vendor, from each vendor's allocated annotation (vendors
// without the annotation are absent). Malformed annotations are an error naming the pod.
base::Result<model::PodDevices> GrantedDevices(const model::Pod& pod, const Registry& registry);

// MIG instances of `pod` (hami.io/vgpu-mig-allocations), by GPU UUID; empty when none.
base::Result<std::map<std::string, std::vector<model::MigBooking>>> GrantedMig(
    const model::Pod& pod);

}  // namespace hami::vendor
