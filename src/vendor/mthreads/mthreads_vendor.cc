#include "vendor/mthreads/mthreads_vendor.h"

#include <algorithm>
#include <limits>

#include "vendor/common.h"
#include "vendor/mthreads/wire.h"

namespace hami::vendor::mthreads {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kNanosPerSecond = 1000000000;

sched::FitRules Rules() {
  sched::FitRules rules;
  rules.one_device_per_pod = true;
  return rules;
}

std::string ListText(const std::vector<int64_t>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(values[i]);
  }
  return out + "]";
}

}  // namespace

MthreadsVendor::MthreadsVendor(MthreadsConfig config)
    : config_(std::move(config)),
      name_(kVendorName),
      keys_{"", "", "", kAllocatedAnnotation},
      fit_(Rules()) {}

std::vector<std::string> MthreadsVendor::ResourceNames() const {
  return {config_.resource_count_name, config_.resource_memory_name, config_.resource_core_name};
}

QuotaResources MthreadsVendor::Quota() const {
  return {config_.resource_memory_name, config_.resource_core_name, kMemoryUnitMiB};
}

base::Result<NodeDevices> MthreadsVendor::DevicesFromNode(const codec::NodeObject& node) const {
  model::DeviceInfo card;
  card.count = kDeviceCount;
  card.type = kVendorName;
  card.vendor = name_;
  card.health = true;
  NodeDevices out;
  HAMI_ASSIGN_OR_RETURN(out.devices, CardsFromSharedCapacity(
                                         node,
                                         {config_.resource_core_name, config_.resource_memory_name,
                                          kCoresPerCard, kMemoryUnitMiB},
                                         card, kDeviceIdInfix));
  return out;
}

base::Result<std::optional<model::DeviceRequest>> MthreadsVendor::ContainerRequest(
    const model::Pod& pod, const model::Container& c) const {
  HAMI_ASSIGN_OR_RETURN(auto count, RequestCount(c, config_.resource_count_name));
  if (!count) return std::optional<model::DeviceRequest>();
  const int32_t nums = *count;
  HAMI_ASSIGN_OR_RETURN(auto mem, BoundedQuantity(c, config_.resource_memory_name,
                                                  kInt32Max / kMemoryUnitMiB, "of 512 MiB units"));
  HAMI_ASSIGN_OR_RETURN(auto cores,
                        BoundedQuantity(c, config_.resource_core_name, kInt32Max, "of core units"));
  // Upstream divides the container's totals evenly over its cards.
  const int64_t mem_mib = mem.value_or(0) * kMemoryUnitMiB;
  model::DeviceRequest request;
  request.vendor = name_;
  request.nums = nums;
  request.memreq = mem_mib / nums;
  request.mem_percentage = mem_mib == 0 ? 100 : 0;
  request.coresreq = cores.value_or(0) / nums;
  return std::optional<model::DeviceRequest>(request);
}

base::Result<sched::DeviceSelector> MthreadsVendor::Selector(const model::Pod& pod) const {
  sched::DeviceSelector s;
  ReadUuidSelector(pod, kUseUuid, kNoUseUuid, &s);
  return s;
}

base::Result<bool> MthreadsVendor::Admit(model::Pod& pod, model::Container& c) const {
  const std::string* count_text = Quantity(c, config_.resource_count_name);
  if (count_text == nullptr) return false;
  HAMI_ASSIGN_OR_RETURN(int64_t nums, IntQuantity(c, config_.resource_count_name, *count_text));
  if (nums <= 0) {
    return base::InvalidArgument("container " + c.name + ": " + config_.resource_count_name +
                                 kMustBePositive);
  }
  HAMI_RETURN_IF_ERROR(AdmitCount(pod, c, nums));
  return true;
}

base::Status MthreadsVendor::AdmitCount(model::Pod& pod, model::Container& c, int64_t nums) const {
  if (nums > kInt32Max / kCoresPerCard) {
    return base::InvalidArgument("container " + c.name + ": resource " +
                                 config_.resource_count_name + " " + std::to_string(nums) +
                                 " is out of range");
  }
  // With one card model the whole-card memory is known; with several it depends on the node, and
  // a request without memory books the whole card of whichever node it lands on.
  const bool one_model = config_.memory_per_card.size() == 1;
  const int64_t card_memory = config_.memory_per_card.front();
  if (nums > 1) {
    c.limits[config_.resource_core_name] = std::to_string(nums * kCoresPerCard);
    if (one_model) c.limits[config_.resource_memory_name] = std::to_string(nums * card_memory);
    pod.annotations[kRequestGpuNumAnnotation] = std::to_string(nums);
    return {};
  }
  const std::string* mem = Quantity(c, config_.resource_memory_name);
  if (mem == nullptr) {
    c.limits[config_.resource_core_name] = std::to_string(kCoresPerCard);
    if (one_model) c.limits[config_.resource_memory_name] = std::to_string(card_memory);
    return {};
  }
  const std::vector<int64_t> legal = config_.LegalMemoryValues();
  const std::optional<int64_t> units = AsInt64(*mem);
  if (!units || std::find(legal.begin(), legal.end(), *units) == legal.end()) {
    return base::InvalidArgument("container " + c.name + ": " + kInvalidMemory + ListText(legal));
  }
  return {};
}

base::Result<std::map<std::string, std::string>> MthreadsVendor::AllocationAnnotations(
    const Allocation& allocation) const {
  HAMI_ASSIGN_OR_RETURN(auto out, Vendor::AllocationAnnotations(allocation));
  for (const auto& container : allocation.devices) {
    if (container.empty()) continue;
    std::string indices;
    for (const auto& d : container) {
      if (!indices.empty()) indices += ",";
      indices += std::to_string(d.idx);
    }
    out[kGpuIndexAnnotation] = indices;
    out[kPredicateTimeAnnotation] = std::to_string(allocation.unix_now * kNanosPerSecond);
    out[kPredicateNodeAnnotation] = allocation.node;
  }
  return out;
}

}  // namespace hami::vendor::mthreads
