// Fitting one pod onto one node: the generic fit loop of hami-wire §3.5 / vendors.md §1.4 for every
// vendor, in upstream's check order (so reason counts match), GPU ordering of §3.6, init/app
// container rules of §3.3, quota of §3.10, partitions (model::Partition), pair-score topology and
// NUMA binding. Vendors change it only through sched::VendorFit (vendor_fit.h).
//
// NodeFitter owns reusable scratch space so a Decide over thousands of nodes allocates nothing per
// node after warm-up. Not thread-safe: use one per thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/device.h"
#include "model/reason.h"
#include "sched/order.h"
#include "sched/pod_input.h"
#include "sched/score.h"
#include "sched/snapshot.h"
#include "sched/vendor_fit.h"

namespace hami::sched {

class NodeFitter {
 public:
  // `quotas`: this pod's namespace quotas by vendor, or nullptr when none apply.
  // Returns true when every container fits; then grants() and score() describe the placement.
  // Otherwise failure() holds the counted reasons of the first container that did not fit.
  bool FitPod(const NodeState& node, const PodInput& pod,
              const std::map<std::string, QuotaState>* quotas);

  const std::vector<PendingGrant>& grants() const { return grants_; }
  const model::NodeFailure& failure() const { return failure_; }
  // Node utilization after placing the pod (hami-wire §3.3 formula, all vendors), plus the score
  // hooks of the vendors the pod uses.
  double score() const { return score_; }

 private:
  // The request's quota headroom (unbounded when no quota applies).
  struct QuotaRoom {
    int64_t mem = 0;
    int64_t cores = 0;
  };
  // A partition chosen for one request on one device.
  struct ShapeChoice {
    int32_t index = -1;          // into DeviceInfo::partitions; -1 = no shape holds the request
    bool placement_free = true;  // false: shapes hold it but none has a free placement
    model::Placement placement;
  };

  void ResetWork(const NodeState& node);
  bool FitContainer(const NodeState& node, const PodInput& pod, int32_t container,
                    const model::ContainerRequests& requests, bool init,
                    const std::map<std::string, QuotaState>* quotas);
  bool FitRequest(const NodeState& node, const PodInput& pod, int32_t container,
                  const model::DeviceRequest& request, bool init, const QuotaState* quota);
  // Runs the per-device checks on one candidate; on success appends its grant to collected_.
  void TryDevice(const NodeState& node, const PodInput& pod, const VendorInput& vendor,
                 const FitRules& rules, const RequestView& view, int32_t container,
                 const model::DeviceRequest& request, const QuotaRoom& room, int32_t pos);
  void ScoreCandidates(const NodeState& node, const PodInput& pod,
                       const model::DeviceRequest& request);
  // Moves the candidate to try next into position `from` (candidates before it are done).
  void SelectNext(size_t from, const CandidateOrder& order);
  QuotaRoom RoomFor(const model::DeviceRequest& request, bool init, const QuotaState* quota);
  ShapeChoice ChooseShape(const NodeState& node, int32_t device,
                          const model::DeviceRequest& request, int64_t memreq, int64_t cores) const;
  bool PlacementFree(const NodeState& node, int32_t device,
                     const model::Placement& placement) const;
  bool OtherDeviceOfPod(std::string_view vendor, int32_t device) const;
  void SelectTopology(const NodeState& node, int32_t nums);
  double ScoreAfterPlacement(const NodeState& node, const PodInput& pod) const;

  std::vector<WorkUsage> work_;          // usage while fitting (per device position)
  std::vector<Candidate> candidates_;    // [0, c) tried in order; the rest unordered
  std::vector<PendingGrant> collected_;  // current request's picks
  std::vector<PendingGrant> grants_;     // whole pod
  std::vector<size_t> chosen_;           // Select hook output
  struct QuotaSpent {
    std::string_view vendor;
    int64_t mem = 0;
    int64_t cores = 0;
  };
  QuotaSpent& AppSpent(std::string_view vendor);

  model::NodeFailure failure_;
  double score_ = 0;
  UsageFigures node_base_;             // the node's totals before this pod (ResetWork)
  std::vector<QuotaSpent> app_spent_;  // app containers' quota use so far, per vendor
};

}  // namespace hami::sched
