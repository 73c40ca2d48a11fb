// NvidiaVendor::ContainerRequest and ::Admit: hami-wire §1.2 and §1.3, plus static MIG resources.
#include <limits>

#include "base/quantity.h"
#include "base/strings.h"
#include "vendor/common.h"
#include "vendor/nvidia/nvidia_vendor.h"

namespace hami::vendor::nvidia {
namespace {

// The container's static MIG resource names (limits first, then requests), without duplicates.
std::vector<std::string> MigResources(const model::Container& c) {
  std::vector<std::string> names;
  for (const auto* list : {&c.limits, &c.requests}) {
    for (const auto& [name, value] : *list) {
      if (!base::StartsWith(name, kMigResourcePrefix)) continue;
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  return names;
}

}  // namespace

base::Result<std::optional<model::DeviceRequest>> NvidiaVendor::StaticMigRequest(
    const model::Container& c) const {
  const std::vector<std::string> names = MigResources(c);
  if (names.empty()) return std::optional<model::DeviceRequest>();
  if (names.size() > 1) {
    return base::InvalidArgument("container " + c.name + ": resources " + names[0] + " and " +
                                 names[1] +
                                 " ask for two MIG profiles; one container may ask for one");
  }
  const std::string& name = names[0];
  HAMI_ASSIGN_OR_RETURN(auto nums, RequestCount(c, name));
  if (!nums) return std::optional<model::DeviceRequest>();
  model::DeviceRequest request;
  request.vendor = name_;
  request.nums = *nums;
  request.partition = name.substr(std::string_view(kMigResourcePrefix).size());
  return std::optional<model::DeviceRequest>(request);
}

base::Result<std::optional<model::DeviceRequest>> NvidiaVendor::ContainerRequest(
    const model::Pod& pod, const model::Container& c) const {
  HAMI_ASSIGN_OR_RETURN(auto mig, StaticMigRequest(c));
  const std::string* count_text = Quantity(c, config_.resource_count_name);
  if (mig) {
    if (count_text != nullptr && AsInt64(*count_text).value_or(0) > 0) {
      return base::InvalidArgument("container " + c.name + ": resources " +
                                   config_.resource_count_name + " and " + kMigResourcePrefix +
                                   mig->partition + " cannot be combined in one container");
    }
    return mig;
  }
  HAMI_ASSIGN_OR_RETURN(auto nums, RequestCount(c, config_.resource_count_name));
  if (!nums) return std::optional<model::DeviceRequest>();
  model::DeviceRequest request;
  request.vendor = name_;
  request.nums = *nums;

  HAMI_ASSIGN_OR_RETURN(auto memory, ScaledMemoryMiB(c, config_.resource_memory_name,
                                                     config_.EffectiveMemoryFactor()));
  request.memreq = memory.value_or(0);
  if (const std::string* pct = Quantity(c, config_.resource_memory_percentage_name)) {
    HAMI_ASSIGN_OR_RETURN(int64_t value,
                          IntQuantity(c, config_.resource_memory_percentage_name, *pct));
    if (value > 100) value = 100;
    if (value > 0) request.mem_percentage = static_cast<int32_t>(value);
  }
  if (request.memreq == 0 && request.mem_percentage == model::kMemPercentageUnset) {
    if (config_.default_memory != 0) {
      request.memreq = config_.default_memory;
    } else {
      request.mem_percentage = 100;
    }
  }
  request.coresreq = config_.default_cores;
  if (const std::string* cores = Quantity(c, config_.resource_core_name)) {
    HAMI_ASSIGN_OR_RETURN(request.coresreq, IntQuantity(c, config_.resource_core_name, *cores));
    if (request.coresreq < 0) {
      return base::InvalidArgument("container " + c.name + ": resource " +
                                   config_.resource_core_name + " must not be negative");
    }
  }
  return std::optional<model::DeviceRequest>(request);
}

base::Result<bool> NvidiaVendor::Admit(model::Pod& pod, model::Container& c) const {
  const auto& count = config_.resource_count_name;
  const auto& mem = config_.resource_memory_name;
  const auto& pct = config_.resource_memory_percentage_name;
  const auto& cores = config_.resource_core_name;
  auto in_limits = [&](const std::string& name) { return c.limits.count(name) != 0; };
  auto anywhere = [&](const std::string& name) { return Quantity(c, name) != nullptr; };

  if (!MigResources(c).empty()) return true;  // a static MIG instance: the shape is the limit
  if ((in_limits(mem) || in_limits(cores) || in_limits(pct)) && !in_limits(count) &&
      config_.default_gpu_num > 0) {
    c.limits[count] = std::to_string(config_.default_gpu_num);
  }
  if (const std::string* p = Quantity(c, pct)) {
    HAMI_ASSIGN_OR_RETURN(int64_t value, IntQuantity(c, pct, *p));
    if (value < 0 || value > 100) {
      return base::InvalidArgument("container " + c.name + ": resource " + pct + " \"" + *p +
                                   "\" must be within 0..100");
    }
  }
  const bool uses = anywhere(count);
  if (uses && !anywhere(cores)) {
    bool whole_card = false;
    if (const std::string* p = Quantity(c, pct)) whole_card = AsInt64(*p).value_or(0) == 100;
    if (whole_card || mem.empty() || (!anywhere(mem) && !anywhere(pct))) c.limits[cores] = "100";
  }
  if (uses) {
    if (auto it = c.limits.find(config_.resource_priority_name); it != c.limits.end()) {
      c.env[kTaskPriorityEnv] = it->second;
    }
    if (!config_.gpu_core_policy.empty() && config_.gpu_core_policy != "default") {
      c.env[kCorePolicyEnv] = config_.gpu_core_policy;
    }
  } else if (config_.overwrite_env) {
    c.env[kVisibleDevicesEnv] = "none";
  }
  return uses;
}

base::Status NvidiaVendor::AdmitPod(model::Pod& pod) const {
  if (!config_.runtime_class_name.empty() && pod.runtime_class_name.empty()) {
    pod.runtime_class_name = config_.runtime_class_name;
  }
  return {};
}

}  // namespace hami::vendor::nvidia
