// The vendor seam: what one accelerator backend contributes to scheduling and admission.
//
// The core (sched/) runs one fit loop for every vendor; a vendor only parses its resources and
// annotations into plain values, and names its wire keys. Implementations are immutable after
// construction and thread-safe for concurrent const calls.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "model/device.h"
#include "model/pod.h"
#include "model/request.h"
#include "sched/pod_input.h"

namespace hami::vendor {

// WIRE: the annotation keys one vendor reads and writes (hami-wire §1.6).
struct VendorKeys {
  std::string register_annotation;     // node: device inventory
  std::string score_annotation;        // node: topology pair scores ("" when none)
  std::string to_allocate_annotation;  // pod: devices the device plugin still has to hand out
  std::string allocated_annotation;    // pod: devices granted
};

class Vendor {
 public:
  virtual ~Vendor() = default;

  // WIRE: the vendor key ("CommonWord"), e.g. "NVIDIA".
  virtual const std::string& Name() const = 0;
  virtual const VendorKeys& Keys() const = 0;
  // Every resource name this vendor owns (for the extender's managedResources).
  virtual std::vector<std::string> ResourceNames() const = 0;
  // The memory and core resources, as quota keys use them (`limits.<name>`), and the factor a
  // memory quantity is multiplied by (hami-wire §3.10).
  virtual const std::string& MemoryResource() const = 0;
  virtual const std::string& CoreResource() const = 0;
  virtual int64_t MemoryFactor() const = 0;

  // One container's request with defaults applied; nullopt when it asks nothing of this vendor.
  // A malformed quantity is an error naming the container and resource.
  virtual base::Result<std::optional<model::DeviceRequest>> ContainerRequest(
      const model::Container& container) const = 0;

  // Device constraints from the pod's annotations.
  virtual base::Result<sched::DeviceSelector> Selector(const model::Pod& pod) const = 0;

  // Admission defaults (what the webhook writes) applied in place to one container.
  // Returns whether the container uses this vendor after mutation.
  virtual base::Result<bool> Admit(model::Container& container) const = 0;

  // Pod-level admission defaults, applied once when some container uses this vendor.
  virtual void AdmitPod(model::Pod& pod) const = 0;

  // Devices of one node from its annotations (register + score); error when absent or malformed.
  virtual base::Result<std::vector<model::DeviceInfo>> DevicesFromAnnotations(
      const std::map<std::string, std::string>& annotations) const = 0;

  // Topology pair scores from the node's annotations; empty when the vendor has none or the node
  // does not publish them. Malformed scores are an error.
  virtual base::Result<model::TopologyScores> TopologyFromAnnotations(
      const std::map<std::string, std::string>& annotations) const {
    return model::TopologyScores{};
  }
};

}  // namespace hami::vendor
