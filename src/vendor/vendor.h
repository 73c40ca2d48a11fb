// The vendor seam: what one accelerator backend contributes to admission, scheduling and bind.
//
// The core runs one fit loop for every vendor (sched/fit.h); a vendor parses its resources and
// annotations into plain values, states its fit rules and hooks (sched::VendorFit), names its wire
// keys (vendor/<name>/wire.h) and writes its pod annotations at bind. Adding a vendor is one folder
// under vendor/ and one line in registry.cc; nothing outside the folder names the vendor.
// Implementations are immutable after construction and thread-safe for concurrent const calls.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "codec/k8s_object.h"
#include "model/device.h"
#include "model/grant.h"
#include "model/pod.h"
#include "model/request.h"
#include "sched/pod_input.h"
#include "sched/vendor_fit.h"

namespace hami::vendor {

// The annotation keys most vendors use; "" where a vendor has no such key.
struct VendorKeys {
  std::string register_annotation;     // node: device inventory ("" = devices from capacity)
  std::string handshake_annotation;    // node: liveness handshake with the device plugin
  std::string to_allocate_annotation;  // pod: devices the device plugin still has to hand out
  std::string allocated_annotation;    // pod: devices granted
};

// What quota accounting reads (hami-wire §3.10): ResourceQuota keys `limits.<memory>` and
// `limits.<core>`; a memory limit is multiplied by `memory_factor`.
struct QuotaResources {
  std::string memory;  // "" = memory is not accounted
  std::string core;    // "" = cores are not accounted
  int64_t memory_factor = 1;
};

// Devices a vendor reads off one node.
struct NodeDevices {
  std::vector<model::DeviceInfo> devices;         // `vendor` set to the vendor key
  model::TopologyScores topology;                 // device pair scores, when published
  std::map<std::string, std::string> attributes;  // node facts for the vendor's hooks
  // The node serves some of this vendor's requests as extended resources kube-scheduler counts
  // itself (NVIDIA static MIG, VendorFit::ServedByNode): it counts as registered without devices.
  bool serves_extended_resources = false;
};

// What a vendor's pod annotations are written from at bind.
struct Allocation {
  const model::Pod& pod;
  const std::string& node;
  const model::PodSingleDevice& devices;  // per container (init first), this vendor only
  const std::vector<model::PartitionGrant>& partitions;  // this vendor's partition grants
  // The granted devices as the node registered them, by UUID (attributes such as a minor number).
  const std::map<std::string, model::DeviceInfo>& registered;
  int64_t unix_now = 0;
};

// What a pod holds of one vendor, read back from its annotations.
struct Granted {
  model::PodSingleDevice devices;                 // per container (init first)
  std::vector<model::PartitionGrant> partitions;  // instances on partitioned devices
};

// How a vendor serializes binds onto a node (hami-wire §3.8).
struct NodeLockSpec {
  std::string annotation;       // node annotation holding the lock
  bool owner_in_value = true;   // "<RFC3339>,<ns>,<name>" (else a bare RFC 3339 time)
  int64_t timeout_seconds = 0;  // a lock older than this is taken over; 0 = --node-lock-timeout
  friend bool operator==(const NodeLockSpec&, const NodeLockSpec&) = default;
};

class Vendor {
 public:
  virtual ~Vendor() = default;

  // WIRE: the vendor key ("CommonWord"), e.g. "NVIDIA", "DCU", "Ascend910B3".
  virtual const std::string& Name() const = 0;
  virtual const VendorKeys& Keys() const = 0;
  // Every resource name this vendor owns (kube-scheduler's managedResources, `hami simulate`).
  virtual std::vector<std::string> ResourceNames() const = 0;
  virtual QuotaResources Quota() const = 0;

  // --- Node side ---
  // The node's devices of this vendor: NotFound when the node has none (annotation absent, no
  // capacity); a malformed registration is an InvalidArgument naming the annotation.
  virtual base::Result<NodeDevices> DevicesFromNode(const codec::NodeObject& node) const = 0;
  // The count resource whose node allocatable says whether the device plugin is alive ("" = none).
  virtual std::string HealthResource() const { return ""; }

  // --- Pod side ---
  // One container's request with defaults applied; nullopt when it asks nothing of this vendor.
  // A malformed quantity is an error naming the container and resource.
  virtual base::Result<std::optional<model::DeviceRequest>> ContainerRequest(
      const model::Pod& pod, const model::Container& container) const = 0;
  // Device constraints and vendor facts from the pod's annotations.
  virtual base::Result<sched::DeviceSelector> Selector(const model::Pod& pod) const = 0;
  // Webhook mutation of one container (init containers first), with the pod for pod-level
  // changes. Returns whether the container uses this vendor after mutation; an error rejects the
  // pod with its message.
  virtual base::Result<bool> Admit(model::Pod& pod, model::Container& container) const = 0;
  // Pod-level admission defaults, applied once when some container uses this vendor.
  virtual base::Status AdmitPod(model::Pod& pod) const { return {}; }
  // The scheduling core's hooks and rules for this vendor.
  virtual const sched::VendorFit& Fit() const = 0;
  // Tags the pod's bookings carry on this vendor's devices (model::DeviceUsage::tags).
  virtual std::vector<std::string> BookingTags(const model::Pod& pod) const { return {}; }

  // --- Bind ---
  // The pod annotations recording an allocation. Default: to-allocate and allocated keys, both
  // the encoded device list (hami-wire §3.7).
  virtual base::Result<std::map<std::string, std::string>> AllocationAnnotations(
      const Allocation& allocation) const;
  // What the pod holds, from its annotations; nullopt when it holds nothing of this vendor.
  // Default: the allocated annotation decoded.
  virtual base::Result<std::optional<Granted>> GrantedDevices(const model::Pod& pod) const;
  // The lock taken at bind when an app container uses this vendor; nullopt = none.
  virtual std::optional<NodeLockSpec> Lock() const { return std::nullopt; }
};

}  // namespace hami::vendor
