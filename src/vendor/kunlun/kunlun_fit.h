// The scheduling core's hooks for Kunlunxin (vendors.md §10): the board topology chooses among
// the devices that passed the per-device checks (Select), a failed choice is explained the way
// upstream does (UUID mismatches, mutex conflicts, else one NumaNotFit), the whole-card backend
// scores nodes by wing bubbles, and the vXPU backend keeps one vXPU size per card (CheckDevice).
// Immutable; thread-safe for concurrent const calls.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "sched/vendor_fit.h"

namespace hami::vendor::kunlun {

// Shared by both backends: topology selection over the collected devices.
class TopologyFit : public sched::VendorFit {
 public:
  using sched::VendorFit::VendorFit;

  void Select(const sched::SelectInput& in, std::vector<size_t>* chosen,
              model::NodeFailure* failure) const override;

 protected:
  // Why the request did not fit, over every device of the vendor on the node.
  virtual model::NodeFailure Explain(const sched::SelectInput& in) const = 0;
};

// `kunlun`: idle, healthy cards only; the pick books the whole card.
class WholeFit final : public TopologyFit {
 public:
  WholeFit();
  double ScoreNode(const sched::NodeState& node, const sched::PodInput& pod,
                   std::span<const sched::PendingGrant> grants,
                   sched::NodePolicy policy) const override;

 protected:
  model::NodeFailure Explain(const sched::SelectInput& in) const override;
};

// `XPU`: a card shares only vXPUs of one size (idle, or usedmem / used == the request's memory).
class VxpuFit final : public TopologyFit {
 public:
  VxpuFit();
  std::optional<model::Reason> CheckDevice(sched::DeviceCheck& check) const override;

 protected:
  model::NodeFailure Explain(const sched::SelectInput& in) const override;
};

}  // namespace hami::vendor::kunlun
