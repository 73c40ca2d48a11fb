#include "vendor/metax/sgpu_vendor.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "base/quantity.h"
#include "base/strings.h"
#include "codec/json_util.h"
#include "model/protocol.h"
#include "vendor/common.h"
#include "vendor/metax/sgpu_register.h"

namespace hami::vendor::metax {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kNanosPerSecond = 1000000000;

std::string Where(const model::Container& c, const std::string& resource) {
  return "container " + c.name + ": resource " + resource;
}

// The pod's app class: "" when unset; an error naming the annotation when not online/offline.
base::Result<std::string> AppClass(const model::Pod& pod) {
  const std::string* value = pod.Annotation(kAppClassAnnotation);
  if (value == nullptr) return std::string();
  if (*value != kAppClassOnline && *value != kAppClassOffline) {
    return base::InvalidArgument(kBadAppClass);
  }
  return *value;
}

// The QoS policy the pod asks for: "" when unset; an error naming the annotation when unknown.
base::Result<std::string> QosPolicy(const model::Pod& pod) {
  const std::string* value = pod.Annotation(kQosPolicyAnnotation);
  if (value == nullptr) return std::string();
  if (*value != kQosBestEffort && *value != kQosFixedShare && *value != kQosBurstShare) {
    return base::InvalidArgument(kBadQosPolicy);
  }
  return *value;
}

base::Result<std::optional<bool>> TopologyAware(const model::Pod& pod) {
  const std::string* value = pod.Annotation(kTopologyAwareAnnotation);
  if (value == nullptr) return std::optional<bool>();
  std::optional<bool> parsed = base::ParseBool(base::Trim(*value));
  if (!parsed) {
    return base::InvalidArgument(std::string("annotation ") + kTopologyAwareAnnotation + " \"" +
                                 *value + "\" is not a boolean");
  }
  return parsed;
}

std::string QosOrDefault(const model::Pod& pod) {
  const std::string* value = pod.Annotation(kQosPolicyAnnotation);
  return value == nullptr ? kQosBestEffort : *value;
}

}  // namespace

std::string EncodeSgpuAllocation(const model::PodSingleDevice& devices) {
  std::string out = "[";
  for (size_t c = 0; c < devices.size(); ++c) {
    if (c > 0) out += ",";
    out += "[";
    for (size_t i = 0; i < devices[c].size(); ++i) {
      const model::ContainerDevice& d = devices[c][i];
      if (i > 0) out += ",";
      out += std::string("{\"") + kAllocUuid + "\":" + codec::DumpJson(nlohmann::json(d.uuid));
      if (d.usedcores != 0) {
        out += std::string(",\"") + kAllocCompute + "\":" + std::to_string(d.usedcores);
      }
      if (d.usedmem != 0) {
        out += std::string(",\"") + kAllocVRam + "\":" + std::to_string(d.usedmem);
      }
      out += "}";
    }
    out += "]";
  }
  return out + "]";
}

SgpuVendor::SgpuVendor(MetaxConfig config)
    : config_(std::move(config)),
      name_(kSgpuVendorName),
      keys_{kSgpuRegisterAnnotation, "", kSgpuToAllocateAnnotation, kSgpuAllocatedAnnotation},
      fit_(config_.sgpu_topology_aware) {}

std::vector<std::string> SgpuVendor::ResourceNames() const {
  return {config_.resource_vcount_name, config_.resource_vmemory_name, config_.resource_vcore_name};
}

QuotaResources SgpuVendor::Quota() const {
  return {config_.resource_vmemory_name, config_.resource_vcore_name, kVMemoryGiB};
}

base::Result<NodeDevices> SgpuVendor::DevicesFromNode(const codec::NodeObject& node) const {
  auto it = node.annotations.find(kSgpuRegisterAnnotation);
  if (it == node.annotations.end()) {
    return base::NotFound(std::string("annotation ") + kSgpuRegisterAnnotation + " is absent");
  }
  NodeDevices out;
  HAMI_ASSIGN_OR_RETURN(out.devices, DecodeSgpuDevices(it->second));
  if (out.devices.empty()) {
    return base::NotFound(std::string("annotation ") + kSgpuRegisterAnnotation +
                          " lists no device");
  }
  return out;
}

base::Result<int64_t> SgpuVendor::MemoryMiB(const model::Container& c) const {
  const std::string& name = config_.resource_vmemory_name;
  const std::string* text = LimitQuantity(c, name);
  if (text == nullptr) return 0;
  auto quantity = base::ParseQuantity(*text);
  if (!quantity.ok()) return quantity.error().WithContext(Where(c, name));
  if (quantity->Sign() < 0) {
    return base::InvalidArgument(Where(c, name) + " \"" + *text + "\" must not be negative");
  }
  if (quantity->HasByteSuffix()) {
    auto mib = base::ParseMemoryMiB(*text);
    if (!mib.ok()) return mib.error().WithContext(Where(c, name));
    return *mib;
  }
  auto gib = quantity->ToInt64();
  if (!gib.ok()) return gib.error().WithContext(Where(c, name));
  if (*gib > kInt32Max / kVMemoryGiB) {
    return base::InvalidArgument(Where(c, name) + " \"" + *text + "\" GiB exceeds " +
                                 std::to_string(kInt32Max / kVMemoryGiB) + " GiB");
  }
  return *gib * kVMemoryGiB;
}

base::Result<std::optional<model::DeviceRequest>> SgpuVendor::ContainerRequest(
    const model::Pod& pod, const model::Container& c) const {
  HAMI_ASSIGN_OR_RETURN(auto count,
                        RequestCount(c, config_.resource_vcount_name, QuantitySource::kLimitsOnly));
  if (!count) return std::optional<model::DeviceRequest>();
  const int32_t nums = *count;
  HAMI_ASSIGN_OR_RETURN(
      auto vcores, BoundedQuantity(c, config_.resource_vcore_name, kInt32Max, "of card percent",
                                   QuantitySource::kLimitsOnly));
  const int64_t cores = vcores.value_or(kDefaultVCores);
  HAMI_ASSIGN_OR_RETURN(int64_t mem, MemoryMiB(c));
  model::DeviceRequest request;
  request.vendor = name_;
  request.nums = nums;
  request.memreq = mem;
  request.mem_percentage = mem == 0 ? 100 : 0;
  request.coresreq = cores;
  return std::optional<model::DeviceRequest>(request);
}

base::Result<sched::DeviceSelector> SgpuVendor::Selector(const model::Pod& pod) const {
  sched::DeviceSelector s;
  ReadUuidSelector(pod, kUseUuid, kNoUseUuid, &s);
  HAMI_ASSIGN_OR_RETURN(std::string app_class, AppClass(pod));
  HAMI_ASSIGN_OR_RETURN(std::string qos, QosPolicy(pod));
  HAMI_ASSIGN_OR_RETURN(std::optional<bool> aware, TopologyAware(pod));
  if (!app_class.empty()) s.params[kParamAppClass] = app_class;
  // A pod that missed the webhook gets the policy the webhook would have written.
  if (app_class != kAppClassOnline) s.params[kParamQos] = qos.empty() ? kQosBestEffort : qos;
  if (aware) s.params[kParamTopologyAware] = *aware ? "true" : "false";
  return s;
}

base::Result<bool> SgpuVendor::Admit(model::Pod& pod, model::Container& c) const {
  const std::string* count_text = LimitQuantity(c, config_.resource_vcount_name);
  if (count_text == nullptr) return false;
  HAMI_ASSIGN_OR_RETURN(int64_t nums, IntQuantity(c, config_.resource_vcount_name, *count_text));
  HAMI_ASSIGN_OR_RETURN(std::string app_class, AppClass(pod));
  if (!app_class.empty() && nums != 1) {
    return base::InvalidArgument("container " + c.name + ": " + kAppClassSingleDevice);
  }
  if (app_class != kAppClassOnline) {
    HAMI_ASSIGN_OR_RETURN(std::string qos, QosPolicy(pod));
    if (qos.empty()) pod.annotations[kQosPolicyAnnotation] = kQosBestEffort;
  }
  HAMI_RETURN_IF_ERROR(TopologyAware(pod).status());
  return true;
}

bool SgpuVendor::WholeCards(const model::Pod& pod) const {
  bool any = false;
  for (const auto* list : {&pod.init_containers, &pod.containers}) {
    for (const auto& c : *list) {
      if (LimitQuantity(c, config_.resource_vcount_name) == nullptr) continue;
      const std::string* cores = LimitQuantity(c, config_.resource_vcore_name);
      if (cores != nullptr && AsInt64(*cores).value_or(0) != 100) return false;
      any = true;
    }
  }
  return any;
}

std::vector<std::string> SgpuVendor::BookingTags(const model::Pod& pod) const {
  const std::string* app = pod.Annotation(kAppClassAnnotation);
  const std::string app_class = app == nullptr ? "" : *app;
  std::vector<std::string> tags = {kTagClass + app_class};
  if (app_class != kAppClassOnline) {
    tags.push_back(kTagQos + (WholeCards(pod) ? std::string() : QosOrDefault(pod)));
  }
  return tags;
}

base::Result<std::map<std::string, std::string>> SgpuVendor::AllocationAnnotations(
    const Allocation& allocation) const {
  HAMI_ASSIGN_OR_RETURN(auto out, Vendor::AllocationAnnotations(allocation));
  out[kSgpuDevicesAllocatedAnnotation] = EncodeSgpuAllocation(allocation.devices);
  out[kSgpuPredicateTimeAnnotation] = std::to_string(allocation.unix_now * kNanosPerSecond);
  return out;
}

std::optional<NodeLockSpec> SgpuVendor::Lock() const {
  return NodeLockSpec{model::kNodeLockAnnotation, true, 0};
}

}  // namespace hami::vendor::metax
