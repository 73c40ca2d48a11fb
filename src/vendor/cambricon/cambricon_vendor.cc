#include "vendor/cambricon/cambricon_vendor.h"

#include <limits>

#include "vendor/cambricon/wire.h"
#include "vendor/common.h"

namespace hami::vendor::cambricon {
namespace {

// Upper bound on cards built from one node's capacity (hostile capacities stay cheap).
constexpr int64_t kMaxCards = 1024;
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// The capacity of `resource`: nullopt when absent; an error when it is not a whole number >= 0.
base::Result<std::optional<int64_t>> Capacity(const codec::NodeObject& node,
                                              const std::string& resource) {
  auto it = node.capacity.find(resource);
  if (it == node.capacity.end()) return std::optional<int64_t>();
  std::optional<int64_t> value = AsInt64(it->second);
  if (!value || *value < 0) {
    return base::InvalidArgument("capacity " + resource + " \"" + it->second +
                                 "\" is not a whole number >= 0");
  }
  return value;
}

std::string Where(const model::Container& c, const std::string& resource) {
  return "container " + c.name + ": resource " + resource;
}

// An optional whole-number resource within [0, max]; nullopt when the container does not set it.
base::Result<std::optional<int64_t>> Bounded(const model::Container& c, const std::string& name,
                                             int64_t max, const char* unit) {
  const std::string* text = Quantity(c, name);
  if (text == nullptr) return std::optional<int64_t>();
  HAMI_ASSIGN_OR_RETURN(int64_t value, IntQuantity(c, name, *text));
  if (value < 0 || value > max) {
    return base::InvalidArgument(Where(c, name) + " \"" + *text + "\" must be a whole number " +
                                 unit + " within 0.." + std::to_string(max));
  }
  return std::optional<int64_t>(value);
}

}  // namespace

CambriconVendor::CambriconVendor(CambriconConfig config)
    : config_(std::move(config)),
      name_(kVendorName),
      keys_{"", "", kToAllocateAnnotation, kAllocatedAnnotation},
      fit_(sched::FitRules{}) {}

std::vector<std::string> CambriconVendor::ResourceNames() const {
  return {config_.resource_count_name, config_.resource_memory_name, config_.resource_core_name};
}

QuotaResources CambriconVendor::Quota() const {
  return {config_.resource_memory_name, config_.resource_core_name, kMemoryFactor};
}

base::Result<NodeDevices> CambriconVendor::DevicesFromNode(const codec::NodeObject& node) const {
  HAMI_ASSIGN_OR_RETURN(auto cores, Capacity(node, config_.resource_core_name));
  if (!cores || *cores == 0) {
    return base::NotFound("capacity " + config_.resource_core_name + " is absent or 0");
  }
  HAMI_ASSIGN_OR_RETURN(auto memory, Capacity(node, config_.resource_memory_name));
  const int64_t cards = (*cores + kCoresPerCard - 1) / kCoresPerCard;
  if (cards > kMaxCards) {
    return base::InvalidArgument("capacity " + config_.resource_core_name + " " +
                                 std::to_string(*cores) + " describes more than " +
                                 std::to_string(kMaxCards) + " cards");
  }
  const int64_t mem_units = memory.value_or(0);
  if (mem_units > kInt32Max / kMemoryFactor) {
    return base::InvalidArgument("capacity " + config_.resource_memory_name + " " +
                                 std::to_string(mem_units) + " is out of range");
  }
  // Each card's share of the node's memory, as upstream: units × 256 × 100 / vcore.
  const int64_t devmem = mem_units * kMemoryFactor * kCoresPerCard / *cores;
  NodeDevices out;
  for (int64_t i = 0; i < cards; ++i) {
    model::DeviceInfo d;
    d.index = static_cast<int32_t>(i);
    d.id = node.name + kDeviceIdInfix + std::to_string(i);
    d.count = kDeviceCount;
    d.devmem = static_cast<int32_t>(std::min(devmem, kInt32Max));
    d.devcore = static_cast<int32_t>(kCoresPerCard);
    d.type = kVendorName;
    d.vendor = name_;
    d.health = true;
    out.devices.push_back(std::move(d));
  }
  return out;
}

base::Result<std::optional<model::DeviceRequest>> CambriconVendor::ContainerRequest(
    const model::Pod& pod, const model::Container& c) const {
  const std::string* count_text = Quantity(c, config_.resource_count_name);
  if (count_text == nullptr) return std::optional<model::DeviceRequest>();
  HAMI_ASSIGN_OR_RETURN(int64_t nums, IntQuantity(c, config_.resource_count_name, *count_text));
  if (nums <= 0) return std::optional<model::DeviceRequest>();
  if (nums > kInt32Max) {
    return base::InvalidArgument(Where(c, config_.resource_count_name) + " \"" + *count_text +
                                 "\" is out of range");
  }
  HAMI_ASSIGN_OR_RETURN(auto mem, Bounded(c, config_.resource_memory_name,
                                          kInt32Max / kMemoryFactor, "of 256 MiB units"));
  HAMI_ASSIGN_OR_RETURN(auto cores,
                        Bounded(c, config_.resource_core_name, kInt32Max, "of card percent"));
  model::DeviceRequest request;
  request.vendor = name_;
  request.nums = static_cast<int32_t>(nums);
  request.memreq = mem.value_or(0) * kMemoryFactor;
  request.mem_percentage = request.memreq == 0 ? 100 : 0;
  request.coresreq = cores.value_or(kDefaultCores);
  return std::optional<model::DeviceRequest>(request);
}

base::Result<sched::DeviceSelector> CambriconVendor::Selector(const model::Pod& pod) const {
  sched::DeviceSelector s;
  ReadUuidSelector(pod, kUseUuid, kNoUseUuid, &s);
  return s;
}

base::Result<bool> CambriconVendor::Admit(model::Pod& pod, model::Container& c) const {
  return LimitQuantity(c, config_.resource_count_name) != nullptr;
}

base::Result<std::map<std::string, std::string>> CambriconVendor::AllocationAnnotations(
    const Allocation& allocation) const {
  HAMI_ASSIGN_OR_RETURN(auto out, Vendor::AllocationAnnotations(allocation));
  for (const auto& container : allocation.devices) {
    if (container.empty()) continue;
    const model::ContainerDevice& first = container.front();
    out[kProfileAnnotation] = std::to_string(first.idx) + "_" + std::to_string(first.usedcores) +
                              "_" + std::to_string(first.usedmem / kMemoryFactor);
    out[kAssignedAnnotation] = kAssignedFalse;
    break;
  }
  return out;
}

std::optional<NodeLockSpec> CambriconVendor::Lock() const {
  return NodeLockSpec{kLockAnnotation, false, kLockTimeoutSeconds};
}

}  // namespace hami::vendor::cambricon
