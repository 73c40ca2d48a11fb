// Fitting one pod onto one node: the per-device checks of hami-wire §3.5 in upstream's order (so
// reason counts match), GPU ordering of §3.6, init/app container rules of §3.3, quota of §3.10.
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

namespace hami::sched {

// One device granted to one container, by position; materialized into model values only for the
// chosen node.
struct PendingGrant {
  int32_t container = 0;      // index over init containers then app containers
  std::string_view vendor;
  int32_t device = 0;         // position in NodeState::devices
  int64_t mem = 0;            // MiB
  int64_t cores = 0;          // percent
  int32_t mig_profile = -1;   // index into DeviceInfo::mig_profiles, -1 when not MIG
  model::MigPlacement placement;
};

class NodeFitter {
 public:
  // `quotas`: this pod's namespace quotas by vendor, or nullptr when none apply.
  // Returns true when every container fits; then grants() and score() describe the placement.
  // Otherwise failure() holds the counted reasons of the first container that did not fit.
  bool FitPod(const NodeState& node, const PodInput& pod,
              const std::map<std::string, QuotaState>* quotas);

  const std::vector<PendingGrant>& grants() const { return grants_; }
  const model::NodeFailure& failure() const { return failure_; }
  // Node utilization after placing the pod (hami-wire §3.3 formula, all vendors).
  double score() const { return score_; }

 private:
  struct WorkDevice {
    int64_t used = 0;
    int64_t usedmem = 0;
    int64_t usedcores = 0;
  };

  void ResetWork(const NodeState& node);
  bool FitContainer(const NodeState& node, const PodInput& pod, int32_t container,
                    const model::ContainerRequests& requests, bool init,
                    const std::map<std::string, QuotaState>* quotas);
  bool FitRequest(const NodeState& node, const PodInput& pod, int32_t container,
                  const model::DeviceRequest& request, bool init, const QuotaState* quota);
  void ScoreCandidates(const NodeState& node, const PodInput& pod,
                       const model::DeviceRequest& request);
  // Moves the candidate to try next into position `from` (candidates before it are done).
  void SelectNext(size_t from, const CandidateOrder& order);
  bool PickMig(const NodeState& node, int32_t device, int64_t memreq, int32_t* profile,
               model::MigPlacement* placement) const;
  bool MigPlacementFree(const NodeState& node, int32_t device,
                        const model::MigPlacement& placement) const;
  void SelectTopology(const NodeState& node, int32_t nums);
  double ScoreAfterPlacement(const PodInput& pod) const;

  std::vector<WorkDevice> work_;           // usage while fitting (per device position)
  std::vector<Candidate> candidates_;      // [0, c) tried in order; the rest unordered
  std::vector<PendingGrant> collected_;    // current request's picks
  std::vector<PendingGrant> grants_;       // whole pod
  struct QuotaSpent {
    std::string_view vendor;
    int64_t mem = 0;
    int64_t cores = 0;
  };
  QuotaSpent& AppSpent(std::string_view vendor);

  model::NodeFailure failure_;
  double score_ = 0;
  UsageFigures node_base_;                 // the node's totals before this pod (ResetWork)
  std::vector<QuotaSpent> app_spent_;      // app containers' quota use so far, per vendor
};

}  // namespace hami::sched
