// The scheduling core's half of the vendor seam: what one vendor changes in the generic fit loop.
//
// The loop (fit.h) runs the standard card loop of hami-wire §3.5 / vendors.md §1.4 once for every
// vendor. A vendor states which per-device checks apply as data (FitRules), so the loop branches on
// flags and makes no virtual call per device unless the vendor asks for one (device_hook). Hooks
// that see several devices at once (Gate, Select, ScoreNode) run once per node and request.
// Implementations live in vendor/<name>/, are immutable and thread-safe for concurrent const calls.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "model/reason.h"
#include "model/request.h"
#include "sched/policy.h"
#include "sched/snapshot.h"

namespace hami::sched {

struct PodInput;
struct DeviceSelector;

// Usage of one device while a pod is being fitted: what is booked plus this pod's picks so far.
struct WorkUsage {
  int64_t used = 0;
  int64_t usedmem = 0;
  int64_t usedcores = 0;
};

// One device granted to one container, by position; materialized into model values only for the
// chosen node.
struct PendingGrant {
  int32_t container = 0;  // index over init containers then app containers
  std::string_view vendor;
  int32_t device = 0;      // position in NodeState::devices
  int64_t mem = 0;         // MiB
  int64_t cores = 0;       // vendor core unit
  int32_t slots = 1;       // of the device's count
  int32_t partition = -1;  // index into DeviceInfo::partitions, -1 when not partitioned
  model::Placement placement;
};

// Which per-device checks of the standard card loop a vendor runs, in the loop's order.
struct FitRules {
  model::Reason unhealthy = model::Reason::kCardNotHealth;  // the reason an unhealthy card counts
  bool check_uuid = true;     // use/no-use UUID selectors -> CardUuidMismatch
  bool check_slots = true;    // count <= used -> CardTimeSlicingExhausted
  bool check_mutex = true;    // GPU policy "mutex" and used > 0 -> ExclusiveDeviceAllocateConflict
  bool whole_device = false;  // used > 0 -> ExclusiveDeviceAllocateConflict (whole-card vendors)
  // A pod's containers share one device of this vendor -> CardNotFoundCustomFilterRule otherwise.
  bool one_device_per_pod = false;
  bool clamp_cores = true;  // coresreq above 100 books 100
  // coresreq is a percentage of the device's devcore: books max(1, devcore × pct / 100), and the
  // whole devcore when the request takes the whole memory with pct 0 (AMD compute units).
  bool cores_percent_of_device = false;
  // Free-core checks: CardInsufficientCore, exclusive at 100, CardComputeUnitsExhausted.
  bool check_cores = true;
  bool grant_device_type = false;  // a grant's Type is the registered device type, not the key
  bool gate_hook = false;          // VendorFit::Gate before the loop
  bool device_hook = false;        // VendorFit::CheckDevice for each device past the checks above
  bool select_hook = false;        // collect every fitting device, then VendorFit::Select
  // Requests for fewer devices than this skip Select and take devices in the policy's order
  // (a vendor whose selection only matters for several devices saves collecting every one).
  int32_t select_min_nums = 1;
  bool score_hook = false;  // VendorFit::ScoreNode added to the node score
  // VendorFit::ServedByNode before each request: a request the node serves itself is granted
  // nothing here and fits (NVIDIA static MIG instances, counted by kube-scheduler).
  bool node_served_hook = false;
};

// Adjustments a gate makes to one node for one request.
struct RequestView {
  int32_t devcore = 0;  // > 0: every device's core capacity is this (Ascend hami-core mode: 100)
};

// What CheckDevice sees of one device. `memreq` and `cores` are what the grant will book; the hook
// may change them (AWS Neuron books a core bitmask).
struct DeviceCheck {
  const NodeState& node;
  int32_t position;                 // in node.devices
  const WorkUsage& usage;           // this device, this request's earlier picks on it included
  std::span<const WorkUsage> work;  // every device of the node (rules that span devices)
  const PodInput& pod;
  const DeviceSelector& selector;
  const model::DeviceRequest& request;
  int64_t memreq = 0;
  int64_t cores = 0;
};

// What Select sees: every device that passed the checks, in the policy's order.
struct SelectInput {
  const NodeState& node;
  const PodInput& pod;
  const DeviceSelector& selector;
  const model::DeviceRequest& request;
  std::span<const WorkUsage> work;
  std::span<const PendingGrant> collected;
  std::span<const PendingGrant> pod_grants;  // earlier containers' grants of this pod
};

class VendorFit {
 public:
  explicit VendorFit(FitRules rules) : rules_(rules) {}
  virtual ~VendorFit() = default;
  VendorFit(const VendorFit&) = delete;
  VendorFit& operator=(const VendorFit&) = delete;

  const FitRules& rules() const { return rules_; }

  // rules().gate_hook: nullopt lets the loop run; a reason fails the node, counted once per
  // candidate device ("2/2 ModeNotFit").
  virtual std::optional<model::Reason> Gate(const NodeState& node, const PodInput& pod,
                                            const DeviceSelector& selector,
                                            const model::DeviceRequest& request,
                                            RequestView* view) const {
    return std::nullopt;
  }
  // rules().device_hook: nullopt accepts the device (with check.memreq / check.cores as booked).
  virtual std::optional<model::Reason> CheckDevice(DeviceCheck& check) const {
    return std::nullopt;
  }
  // rules().select_hook: appends to `chosen` the positions in `in.collected` to grant, in grant
  // order. Fewer than request.nums fails the request: the hook may add its reasons to `failure`
  // (and set failure->candidates); when it adds none the loop counts
  // AllocatedCardsInsufficientRequest = collected.size().
  virtual void Select(const SelectInput& in, std::vector<size_t>* chosen,
                      model::NodeFailure* failure) const {}
  // rules().node_served_hook: true when `node` serves `request` outside its device list, as an
  // extended resource the kubelet advertises and kube-scheduler counts itself; the request then
  // books nothing and writes no annotation for this node.
  virtual bool ServedByNode(const NodeState& node, const model::DeviceRequest& request) const {
    return false;
  }
  // rules().score_hook: added to the node's score once the whole pod is placed. `grants` are every
  // grant of the pod (all vendors).
  virtual double ScoreNode(const NodeState& node, const PodInput& pod,
                           std::span<const PendingGrant> grants, NodePolicy policy) const {
    return 0;
  }

 private:
  FitRules rules_;
};

}  // namespace hami::sched
