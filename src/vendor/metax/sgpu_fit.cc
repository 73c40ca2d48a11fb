#include "vendor/metax/sgpu_fit.h"

#include <algorithm>

#include "base/strings.h"
#include "sched/pod_input.h"
#include "vendor/metax/wire.h"

namespace hami::vendor::metax {
namespace {

using model::Reason;

constexpr int64_t kLinkPairScore = 10;
constexpr double kScoreWeight = 10000;

sched::FitRules SgpuRules() {
  sched::FitRules rules;
  rules.unhealthy = Reason::kCardUnhealthy;
  rules.clamp_cores = false;
  rules.check_cores = false;  // online pods skip them: CheckDevice runs them for the others
  rules.device_hook = true;
  rules.select_hook = true;
  rules.score_hook = true;
  return rules;
}

// What the pods booked on one device declared (their DeviceUsage::tags).
struct PodsOnDevice {
  int64_t online = 0;
  int64_t offline = 0;
};

// The tag's value when it starts with `prefix`.
std::optional<std::string_view> TagValue(std::string_view tag, std::string_view prefix) {
  if (!base::StartsWith(tag, prefix)) return std::nullopt;
  return tag.substr(prefix.size());
}

PodsOnDevice Classify(const std::vector<std::string>& tags) {
  PodsOnDevice out;
  for (const std::string& tag : tags) {
    if (auto cls = TagValue(tag, kTagClass)) {
      out.online += *cls == kAppClassOnline ? 1 : 0;
      out.offline += *cls == kAppClassOffline ? 1 : 0;
    }
  }
  return out;
}

const std::string& ParamOr(const sched::DeviceSelector& selector, const char* key) {
  static const std::string kNone;
  const std::string* value = selector.Param(key);
  return value == nullptr ? kNone : *value;
}

int64_t LinkZone(const model::DeviceInfo& info) {
  auto it = info.attributes.find(kAttrLinkZone);
  if (it == info.attributes.end()) return 0;
  return base::ParseInt64(it->second).value_or(0);
}

// An idle device takes any pod; otherwise classified pods (online/offline) and unclassified pods
// do not share a device, and an offline pod does not join an online one.
bool AppClassFits(const std::string& wanted, int32_t used, const PodsOnDevice& pods) {
  if (used == 0) return true;
  const bool device_classified = pods.online > 0 || pods.offline > 0;
  const bool pod_classified = wanted == kAppClassOnline || wanted == kAppClassOffline;
  if (device_classified != pod_classified) return false;
  return !(pods.online > 0 && wanted == kAppClassOffline);
}

// The pods sharing the device set its policy; when none states one, the registered one does.
bool QosFits(const std::string& wanted, const sched::DeviceState& device, int64_t coresreq) {
  if (device.usage.used == 0 || coresreq == 100) return true;
  bool stated = false;
  for (const std::string& tag : device.usage.tags) {
    auto qos = TagValue(tag, kTagQos);
    if (!qos || qos->empty()) continue;
    if (*qos != wanted) return false;
    stated = true;
  }
  if (stated) return true;
  auto it = device.info.attributes.find(kAttrQosPolicy);
  return it == device.info.attributes.end() || it->second.empty() || it->second == wanted;
}

std::optional<Reason> CoreChecks(const sched::DeviceCheck& check, int64_t devcore) {
  const sched::WorkUsage& usage = check.usage;
  if (devcore - usage.usedcores < check.cores) return Reason::kCardInsufficientCore;
  if (devcore == 100 && check.cores == 100 && usage.used > 0) {
    return Reason::kExclusiveDeviceAllocateConflict;
  }
  if (devcore != 0 && usage.usedcores == devcore && check.cores == 0) {
    return Reason::kCardComputeUnitsExhausted;
  }
  return std::nullopt;
}

// Online pods: devices with fewer online, then fewer offline pods first; devices holding only
// offline pods last, fewer offline first. Stable, so ties keep the policy's order.
void PrioritizeOnline(const sched::SelectInput& in, std::vector<size_t>* order) {
  std::vector<PodsOnDevice> pods;
  for (const auto& g : in.collected) pods.push_back(Classify(in.node.devices[g.device].usage.tags));
  std::stable_sort(order->begin(), order->end(), [&](size_t a, size_t b) {
    const PodsOnDevice& x = pods[a];
    const PodsOnDevice& y = pods[b];
    const bool x_offline_only = x.online == 0 && x.offline > 0;
    const bool y_offline_only = y.online == 0 && y.offline > 0;
    if (x_offline_only != y_offline_only) return y_offline_only;
    if (x_offline_only || x.online == y.online) return x.offline < y.offline;
    return x.online < y.online;
  });
}

// Unclassified whole-card pods: the smallest link zone holding all `n`, else zones filled
// smallest first, then cards without a link (zone <= 0).
std::vector<size_t> PrioritizeExclusive(const sched::SelectInput& in, size_t n) {
  struct Zone {
    int64_t id;
    std::vector<size_t> members;
  };
  std::vector<Zone> zones;
  std::vector<size_t> unlinked;
  for (size_t i = 0; i < in.collected.size(); ++i) {
    const int64_t zone = LinkZone(in.node.devices[in.collected[i].device].info);
    if (zone <= 0) {
      unlinked.push_back(i);
      continue;
    }
    auto it = std::find_if(zones.begin(), zones.end(), [&](const Zone& z) { return z.id == zone; });
    if (it == zones.end()) {
      zones.push_back({zone, {i}});
    } else {
      it->members.push_back(i);
    }
  }
  std::stable_sort(zones.begin(), zones.end(), [](const Zone& a, const Zone& b) {
    return a.members.size() < b.members.size();
  });
  for (const Zone& z : zones) {
    if (z.members.size() >= n) return {z.members.begin(), z.members.begin() + n};
  }
  std::vector<size_t> out;
  for (const Zone& z : zones) out.insert(out.end(), z.members.begin(), z.members.end());
  out.insert(out.end(), unlinked.begin(), unlinked.end());
  out.resize(n);
  return out;
}

int64_t PairScore(const std::vector<int64_t>& zones) {
  int64_t score = 0;
  for (size_t i = 0; i < zones.size(); ++i) {
    for (size_t j = i + 1; j < zones.size(); ++j) {
      if (zones[i] > 0 && zones[i] == zones[j]) score += kLinkPairScore;
    }
  }
  return score;
}

int64_t ScoreOnline(const sched::NodeState& node, const std::vector<int32_t>& devices) {
  int64_t score = 0;
  for (int32_t pos : devices) {
    const PodsOnDevice pods = Classify(node.devices[pos].usage.tags);
    score += (pods.offline > 0 && pods.online == 0) ? -100 * pods.offline
                                                    : -20 * pods.online - 2 * pods.offline;
  }
  return score;
}

int64_t ScoreExclusive(const sched::NodeState& node, const std::vector<int32_t>& whole) {
  std::vector<int64_t> alloc, avail, rest;
  for (int32_t pos : whole) alloc.push_back(LinkZone(node.devices[pos].info));
  for (size_t i = 0; i < node.devices.size(); ++i) {
    const sched::DeviceState& d = node.devices[i];
    if (d.info.vendor != kSgpuVendorName || d.usage.used != 0) continue;
    avail.push_back(LinkZone(d.info));
    if (std::find(whole.begin(), whole.end(), static_cast<int32_t>(i)) == whole.end()) {
      rest.push_back(LinkZone(d.info));
    }
  }
  const int64_t allocated = PairScore(alloc);
  return 10 * allocated - (PairScore(avail) - allocated - PairScore(rest));
}

}  // namespace

SgpuFit::SgpuFit(bool topology_aware) : VendorFit(SgpuRules()), topology_aware_(topology_aware) {}

std::optional<Reason> SgpuFit::CheckDevice(sched::DeviceCheck& check) const {
  const sched::DeviceState& device = check.node.devices[check.position];
  const std::string& app_class = ParamOr(check.selector, kParamAppClass);
  const bool online = app_class == kAppClassOnline;
  if (!AppClassFits(app_class, device.usage.used, Classify(device.usage.tags))) {
    return Reason::kCardAppClassMismatch;
  }
  if (!online && !QosFits(ParamOr(check.selector, kParamQos), device, check.request.coresreq)) {
    return Reason::kCardQosPolicyMismatch;
  }
  // Memory before cores, as upstream counts a device short of both.
  if (device.info.devmem - check.usage.usedmem < check.memreq) {
    return Reason::kCardInsufficientMemory;
  }
  if (online) {
    check.cores = 0;
    return std::nullopt;
  }
  return CoreChecks(check, device.info.devcore);
}

void SgpuFit::Select(const sched::SelectInput& in, std::vector<size_t>* chosen,
                     model::NodeFailure* failure) const {
  const auto n = static_cast<size_t>(in.request.nums);
  if (in.collected.size() < n) return;  // the loop counts AllocatedCardsInsufficientRequest
  std::vector<size_t> order(in.collected.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (order.size() > n) {
    const std::string& app_class = ParamOr(in.selector, kParamAppClass);
    if (app_class == kAppClassOnline) {
      PrioritizeOnline(in, &order);
    } else if (app_class.empty() && in.request.coresreq == 100) {
      order = PrioritizeExclusive(in, n);
    }
  }
  chosen->insert(chosen->end(), order.begin(), order.begin() + n);
}

double SgpuFit::ScoreNode(const sched::NodeState& node, const sched::PodInput& pod,
                          std::span<const sched::PendingGrant> grants,
                          sched::NodePolicy policy) const {
  std::vector<int32_t> devices, whole;
  for (const auto& g : grants) {
    if (g.vendor != kSgpuVendorName) continue;
    if (std::find(devices.begin(), devices.end(), g.device) == devices.end()) {
      devices.push_back(g.device);
    }
    if (g.cores == 100) whole.push_back(g.device);
  }
  if (devices.empty()) return 0;
  const double weight = policy == sched::NodePolicy::kSpread ? -kScoreWeight : kScoreWeight;
  const sched::DeviceSelector& selector = pod.For(kSgpuVendorName).selector;
  if (ParamOr(selector, kParamAppClass) == kAppClassOnline) {
    return weight * static_cast<double>(ScoreOnline(node, devices));
  }
  const std::string& aware = ParamOr(selector, kParamTopologyAware);
  const bool enabled = aware.empty() ? topology_aware_ : aware == "true";
  if (whole.empty() || !enabled) return 0;
  return weight * static_cast<double>(ScoreExclusive(node, whole));
}

}  // namespace hami::vendor::metax
