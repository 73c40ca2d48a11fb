#include "vendor/vastai/vastai_fit.h"

#include <algorithm>
#include <map>

#include "sched/pod_input.h"
#include "vendor/vastai/wire.h"

namespace hami::vendor::vastai {
namespace {

sched::FitRules Rules(bool die_mode) {
  sched::FitRules rules;
  rules.check_cores = false;
  rules.device_hook = die_mode;
  rules.select_hook = die_mode;
  rules.select_min_nums = 2;  // one die: the first that fits
  rules.score_hook = die_mode;
  return rules;
}

// The card a die sits on: its AIC, or the die's own ID when it names none.
const std::string& CardOf(const model::DeviceInfo& info) {
  auto it = info.attributes.find(kAicInfo);
  return it == info.attributes.end() ? info.id : it->second;
}

}  // namespace

std::string DieModeAttribute(const std::string& vendor) { return vendor + ".die-mode"; }

VastaiFit::VastaiFit(std::string vendor, bool die_mode)
    : sched::VendorFit(Rules(die_mode)),
      vendor_(std::move(vendor)),
      die_mode_attribute_(DieModeAttribute(vendor_)) {}

bool VastaiFit::DieMode(const sched::NodeState& node) const {
  return node.Attribute(die_mode_attribute_) != nullptr;
}

std::optional<model::Reason> VastaiFit::CheckDevice(sched::DeviceCheck& check) const {
  if (!check.pod.policy.gpu.mutex || !DieMode(check.node)) return std::nullopt;
  const std::string& card = CardOf(check.node.devices[check.position].info);
  for (size_t i = 0; i < check.node.devices.size(); ++i) {
    const auto& other = check.node.devices[i].info;
    if (static_cast<int32_t>(i) == check.position || other.vendor != vendor_) continue;
    if (check.work[i].used > 0 && CardOf(other) == card) {
      return model::Reason::kExclusiveDeviceAllocateConflict;
    }
  }
  return std::nullopt;
}

void VastaiFit::Select(const sched::SelectInput& in, std::vector<size_t>* chosen,
                       model::NodeFailure* failure) const {
  const auto n = static_cast<size_t>(in.request.nums);
  if (in.collected.size() < n) return;
  if (in.collected.size() == n || !DieMode(in.node)) {
    for (size_t i = 0; i < n; ++i) chosen->push_back(i);
    return;
  }
  std::vector<std::pair<const std::string*, std::vector<size_t>>> cards;
  for (size_t i = 0; i < in.collected.size(); ++i) {
    const std::string& card = CardOf(in.node.devices[in.collected[i].device].info);
    auto it =
        std::find_if(cards.begin(), cards.end(), [&](const auto& c) { return *c.first == card; });
    if (it == cards.end()) {
      cards.push_back({&card, {i}});
    } else {
      it->second.push_back(i);
    }
  }
  std::stable_sort(cards.begin(), cards.end(),
                   [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  for (const auto& [card, dies] : cards) {
    for (size_t i : dies) {
      if (chosen->size() == n) return;
      chosen->push_back(i);
    }
  }
}

double VastaiFit::ScoreNode(const sched::NodeState& node, const sched::PodInput& pod,
                            std::span<const sched::PendingGrant> grants,
                            sched::NodePolicy policy) const {
  if (!DieMode(node)) return 0;
  std::map<int32_t, std::map<std::string, int>> cards_by_container;
  for (const auto& g : grants) {
    if (g.vendor != vendor_) continue;
    ++cards_by_container[g.container][CardOf(node.devices[g.device].info)];
  }
  double score = 0;
  for (const auto& [container, cards] : cards_by_container) {
    int largest = 0, total = 0;
    for (const auto& [card, dies] : cards) {
      largest = std::max(largest, dies);
      total += dies;
    }
    score += static_cast<double>(largest) / total;
  }
  return policy == sched::NodePolicy::kSpread ? -score : score;
}

}  // namespace hami::vendor::vastai
