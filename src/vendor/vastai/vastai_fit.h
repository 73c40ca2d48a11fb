// Vastai's fit rules (vendors.md §13 "Fit", "ScoreNode") on the generic loop. Memory and cores are
// not accounted (no core checks); health, type, UUID, slots and the mutex policy are the loop's.
//
// Card mode (and every vendor built without die support, e.g. Biren) is the standard loop: the
// first `nums` fitting devices in the policy's order. A node is in die mode when its first
// registered device says `DeviceStrategy: die` (kDieModeAttribute); each device is then one die
// of the card (AIC) its `AIC` custominfo names (a die without one is a card of its own):
//   CheckDevice  under the mutex policy an idle die is refused (ExclusiveDeviceAllocateConflict)
//                when another die of its card is used (this container's own picks do not count).
//   Select       exactly `nums` fitting dies, or one: the first; more: whole cards first, largest
//                card first (ties in policy order), filled in policy order.
//   ScoreNode    per container, (dies on its largest card) / (its dies), summed; negated under
//                the spread node policy so a tighter placement is preferred under both policies.
// Immutable; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sched/vendor_fit.h"

namespace hami::vendor::vastai {

// NodeState attribute set by a die-capable vendor on a node in die mode ("<vendor>.die-mode").
std::string DieModeAttribute(const std::string& vendor);

class VastaiFit final : public sched::VendorFit {
 public:
  // `die_mode`: whether this vendor honours die mode at all (Vastai yes, Biren no).
  VastaiFit(std::string vendor, bool die_mode);

  std::optional<model::Reason> CheckDevice(sched::DeviceCheck& check) const override;
  void Select(const sched::SelectInput& in, std::vector<size_t>* chosen,
              model::NodeFailure* failure) const override;
  double ScoreNode(const sched::NodeState& node, const sched::PodInput& pod,
                   std::span<const sched::PendingGrant> grants,
                   sched::NodePolicy policy) const override;

 private:
  bool DieMode(const sched::NodeState& node) const;

  std::string vendor_;
  std::string die_mode_attribute_;
};

}  // namespace hami::vendor::vastai
