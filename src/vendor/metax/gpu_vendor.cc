#include "vendor/metax/gpu_vendor.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "vendor/common.h"

namespace hami::vendor::metax {
namespace {

constexpr size_t kMaxTopologyBytes = 64 * 1024;

sched::FitRules GpuRules() {
  sched::FitRules rules;
  rules.check_uuid = false;
  rules.one_device_per_pod = true;
  rules.score_hook = true;
  return rules;
}

// Surfaces one topology annotation: the raw value under its own key, and each integer member
// under TopologyAttribute(key, k). A value that is not a JSON object surfaces no member.
void SurfaceTopology(const codec::NodeObject& node, const char* key, NodeDevices* out) {
  auto it = node.annotations.find(key);
  if (it == node.annotations.end()) return;
  out->attributes[key] = it->second;
  if (it->second.size() > kMaxTopologyBytes) return;
  const nlohmann::json parsed = nlohmann::json::parse(it->second, nullptr, false);
  if (!parsed.is_object()) return;
  for (const auto& [k, value] : parsed.items()) {
    if (!value.is_number_integer()) continue;
    std::optional<int64_t> cards = base::ParseInt64(k);
    if (!cards) continue;
    out->attributes[TopologyAttribute(key, *cards)] = std::to_string(value.get<int64_t>());
  }
}

// kGpuTopologyBase − the published value for `k` cards; 0 when the node has no annotation.
double TopologyScore(const sched::NodeState& node, const char* key, int64_t k) {
  if (node.Attribute(key) == nullptr) return 0;
  const std::string* value = node.Attribute(TopologyAttribute(key, k));
  if (value == nullptr) return kGpuTopologyBase;
  return kGpuTopologyBase - static_cast<double>(base::ParseInt64(*value).value_or(0));
}

}  // namespace

std::string TopologyAttribute(const std::string& annotation, int64_t k) {
  return annotation + "#" + std::to_string(k);
}

GpuFit::GpuFit() : VendorFit(GpuRules()) {}

double GpuFit::ScoreNode(const sched::NodeState& node, const sched::PodInput& pod,
                         std::span<const sched::PendingGrant> grants,
                         sched::NodePolicy policy) const {
  int64_t k = 0;
  for (const auto& g : grants) k += g.vendor == kGpuVendorName ? 1 : 0;
  return policy == sched::NodePolicy::kSpread ? TopologyScore(node, kGpuScoresAnnotation, k)
                                              : TopologyScore(node, kGpuLossesAnnotation, k);
}

GpuVendor::GpuVendor(MetaxConfig config)
    : config_(std::move(config)),
      name_(kGpuVendorName),
      keys_{"", "", kGpuToAllocateAnnotation, kGpuAllocatedAnnotation} {}

std::vector<std::string> GpuVendor::ResourceNames() const { return {config_.resource_count_name}; }

base::Result<NodeDevices> GpuVendor::DevicesFromNode(const codec::NodeObject& node) const {
  HAMI_ASSIGN_OR_RETURN(int32_t cards, CapacityDevices(node, config_.resource_count_name));
  model::DeviceInfo card;
  card.count = 1;
  card.devmem = kGpuDeviceMemory;
  card.devcore = kGpuDeviceCores;
  card.type = kGpuVendorName;
  card.vendor = name_;
  card.health = true;
  NodeDevices out;
  out.devices = NumberedCards(node.name, cards, card, kGpuDeviceIdInfix);
  SurfaceTopology(node, kGpuLossesAnnotation, &out);
  SurfaceTopology(node, kGpuScoresAnnotation, &out);
  return out;
}

base::Result<std::optional<model::DeviceRequest>> GpuVendor::ContainerRequest(
    const model::Pod& pod, const model::Container& c) const {
  HAMI_ASSIGN_OR_RETURN(auto count, RequestCount(c, config_.resource_count_name));
  if (!count) return std::optional<model::DeviceRequest>();
  const int32_t nums = *count;
  model::DeviceRequest request;
  request.vendor = name_;
  request.nums = nums;
  request.mem_percentage = 100;
  request.coresreq = kGpuDeviceCores;
  return std::optional<model::DeviceRequest>(request);
}

base::Result<sched::DeviceSelector> GpuVendor::Selector(const model::Pod& pod) const {
  return sched::DeviceSelector{};
}

base::Result<bool> GpuVendor::Admit(model::Pod& pod, model::Container& c) const {
  return LimitQuantity(c, config_.resource_count_name) != nullptr;
}

}  // namespace hami::vendor::metax
