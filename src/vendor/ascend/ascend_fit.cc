#include "vendor/ascend/ascend_fit.h"

#include <algorithm>
#include <optional>

#include "base/strings.h"
#include "sched/pod_input.h"
#include "vendor/ascend/wire.h"

namespace hami::vendor::ascend {
namespace {

sched::FitRules Rules(bool network, bool modules) {
  sched::FitRules rules;
  rules.gate_hook = true;
  rules.select_hook = network || modules;
  rules.select_min_nums = 2;  // one NPU: the first that fits, whatever its group
  rules.score_hook = network;
  return rules;
}

std::optional<int64_t> NetworkId(const model::DeviceInfo& info) {
  auto it = info.attributes.find(kNetworkIdAttribute);
  if (it == info.attributes.end()) return std::nullopt;
  return base::ParseInt64(it->second);
}

// Positions in `in.collected` grouped by `key`, groups in order of their first member.
template <typename Key, typename KeyOf>
std::vector<std::vector<size_t>> GroupCollected(const sched::SelectInput& in, KeyOf key_of) {
  std::vector<Key> keys;
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < in.collected.size(); ++i) {
    const Key key = key_of(in.node.devices[in.collected[i].device].info);
    auto it = std::find(keys.begin(), keys.end(), key);
    if (it == keys.end()) {
      keys.push_back(key);
      groups.push_back({i});
    } else {
      groups[it - keys.begin()].push_back(i);
    }
  }
  return groups;
}

}  // namespace

AscendFit::AscendFit(std::string vendor, bool hami_vnpu_core_default, bool network, bool modules)
    : sched::VendorFit(Rules(network, modules)),
      vendor_(std::move(vendor)),
      hami_vnpu_core_default_(hami_vnpu_core_default),
      network_(network),
      modules_(modules) {}

std::optional<model::Reason> AscendFit::Gate(const sched::NodeState& node,
                                             const sched::PodInput& pod,
                                             const sched::DeviceSelector& selector,
                                             const model::DeviceRequest& request,
                                             sched::RequestView* view) const {
  const std::string* mode = selector.Param(kVnpuModeAnnotation);
  if (mode == nullptr || *mode != kVnpuModeHamiCore) return std::nullopt;
  bool supported = hami_vnpu_core_default_;
  if (const std::string* value = node.Attribute(kNodeVnpuCoreAnnotation)) {
    supported = *value == kTrue;
  }
  if (!supported) return model::Reason::kModeNotFit;
  view->devcore = kHamiCoreDevcore;
  return std::nullopt;
}

bool AscendFit::EveryDeviceHasNetworkId(const sched::NodeState& node) const {
  return std::all_of(node.devices.begin(), node.devices.end(), [&](const sched::DeviceState& d) {
    return d.info.vendor != vendor_ || NetworkId(d.info).has_value();
  });
}

void AscendFit::Select(const sched::SelectInput& in, std::vector<size_t>* chosen,
                       model::NodeFailure* failure) const {
  const auto nums = static_cast<size_t>(in.request.nums);
  if (modules_ && nums > 1) {
    SelectModules(in, nums, chosen);
    return;
  }
  if (network_ && nums > 1 && in.collected.size() > nums && EveryDeviceHasNetworkId(in.node)) {
    SelectByNetwork(in, nums, chosen);
    return;
  }
  if (in.collected.size() < nums) return;
  for (size_t i = 0; i < nums; ++i) chosen->push_back(i);
}

void AscendFit::SelectModules(const sched::SelectInput& in, size_t nums,
                              std::vector<size_t>* chosen) const {
  auto modules = GroupCollected<int32_t>(
      in, [](const model::DeviceInfo& info) { return info.index / kNpusPerModule; });
  for (const auto& module : modules) {
    if (chosen->size() >= nums) break;
    if (module.size() != static_cast<size_t>(kNpusPerModule)) continue;
    chosen->insert(chosen->end(), module.begin(), module.end());
  }
  if (chosen->size() != nums) chosen->clear();
}

void AscendFit::SelectByNetwork(const sched::SelectInput& in, size_t nums,
                                std::vector<size_t>* chosen) const {
  auto groups = GroupCollected<int64_t>(
      in, [](const model::DeviceInfo& info) { return NetworkId(info).value_or(0); });
  std::stable_sort(groups.begin(), groups.end(),
                   [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& group : groups) {
    for (size_t i : group) {
      if (chosen->size() == nums) return;
      chosen->push_back(i);
    }
  }
}

double AscendFit::ScoreNode(const sched::NodeState& node, const sched::PodInput& pod,
                            std::span<const sched::PendingGrant> grants,
                            sched::NodePolicy policy) const {
  // A pod holds a handful of grants: counting by nested scans allocates nothing per node.
  auto mine = [&](const sched::PendingGrant& g) { return g.vendor == vendor_; };
  auto id_of = [&](const sched::PendingGrant& g) { return NetworkId(node.devices[g.device].info); };
  for (const auto& g : grants) {
    if (mine(g) && !id_of(g)) return 0;
  }
  double score = 0;
  for (size_t i = 0; i < grants.size(); ++i) {
    const auto& first = grants[i];
    if (!mine(first)) continue;
    bool seen = false;
    for (size_t j = 0; j < i && !seen; ++j) {
      seen = mine(grants[j]) && grants[j].container == first.container;
    }
    if (seen) continue;  // each container once, from its first grant
    int32_t largest = 0, total = 0;
    for (size_t j = i; j < grants.size(); ++j) {
      if (!mine(grants[j]) || grants[j].container != first.container) continue;
      ++total;
      int32_t same = 0;
      for (size_t k = i; k < grants.size(); ++k) {
        if (mine(grants[k]) && grants[k].container == first.container &&
            *id_of(grants[k]) == *id_of(grants[j])) {
          ++same;
        }
      }
      largest = std::max(largest, same);
    }
    score += static_cast<double>(largest) / total;
  }
  score *= kNetworkWeight;
  return policy == sched::NodePolicy::kSpread ? -score : score;
}

}  // namespace hami::vendor::ascend
