// NvidiaVendor::ContainerRequest and ::Admit: hami-wire §1.2 and §1.3.
#include <limits>

#include "base/quantity.h"
#include "vendor/nvidia/nvidia_vendor.h"

namespace hami::vendor::nvidia {
namespace {

// Limits first, then requests (upstream order).
const std::string* Find(const model::Container& c, const std::string& name) {
  if (auto it = c.limits.find(name); it != c.limits.end()) return &it->second;
  if (auto it = c.requests.find(name); it != c.requests.end()) return &it->second;
  return nullptr;
}

base::Result<int64_t> ReadInt(const model::Container& c, const std::string& name,
                              const std::string& text) {
  auto value = base::ParseQuantityInt64(text);
  if (!value.ok()) {
    return value.error().WithContext("container " + c.name + ": resource " + name);
  }
  return *value;
}

}  // namespace

base::Result<std::optional<model::DeviceRequest>> NvidiaVendor::ContainerRequest(
    const model::Container& c) const {
  const std::string* count_text = Find(c, config_.resource_count_name);
  if (count_text == nullptr) return std::optional<model::DeviceRequest>();
  HAMI_ASSIGN_OR_RETURN(int64_t nums, ReadInt(c, config_.resource_count_name, *count_text));
  if (nums <= 0) return std::optional<model::DeviceRequest>();
  if (nums > std::numeric_limits<int32_t>::max()) {
    return base::InvalidArgument("container " + c.name + ": resource " +
                                 config_.resource_count_name + " \"" + *count_text +
                                 "\" is out of range");
  }
  model::DeviceRequest request;
  request.vendor = name_;
  request.nums = static_cast<int32_t>(nums);

  const int64_t factor = config_.EffectiveMemoryFactor();
  if (const std::string* mem = Find(c, config_.resource_memory_name)) {
    auto mib = base::ParseMemoryMiB(*mem);
    if (!mib.ok()) {
      return mib.error().WithContext("container " + c.name + ": resource " +
                                     config_.resource_memory_name);
    }
    if (*mib > std::numeric_limits<int32_t>::max() / factor) {
      return base::InvalidArgument("container " + c.name + ": resource " +
                                   config_.resource_memory_name + " \"" + *mem +
                                   "\" exceeds the largest request with memoryFactor " +
                                   std::to_string(factor));
    }
    request.memreq = *mib * factor;
  }
  if (const std::string* pct = Find(c, config_.resource_memory_percentage_name)) {
    HAMI_ASSIGN_OR_RETURN(int64_t value,
                          ReadInt(c, config_.resource_memory_percentage_name, *pct));
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
  if (const std::string* cores = Find(c, config_.resource_core_name)) {
    HAMI_ASSIGN_OR_RETURN(request.coresreq, ReadInt(c, config_.resource_core_name, *cores));
    if (request.coresreq < 0) {
      return base::InvalidArgument("container " + c.name + ": resource " +
                                   config_.resource_core_name + " must not be negative");
    }
  }
  return std::optional<model::DeviceRequest>(request);
}

base::Result<bool> NvidiaVendor::Admit(model::Container& c) const {
  const auto& count = config_.resource_count_name;
  const auto& mem = config_.resource_memory_name;
  const auto& pct = config_.resource_memory_percentage_name;
  const auto& cores = config_.resource_core_name;
  auto in_limits = [&](const std::string& name) { return c.limits.count(name) != 0; };
  auto anywhere = [&](const std::string& name) { return Find(c, name) != nullptr; };

  if ((in_limits(mem) || in_limits(cores) || in_limits(pct)) && !in_limits(count) &&
      config_.default_gpu_num > 0) {
    c.limits[count] = std::to_string(config_.default_gpu_num);
  }
  if (const std::string* p = Find(c, pct)) {
    HAMI_ASSIGN_OR_RETURN(int64_t value, ReadInt(c, pct, *p));
    if (value < 0 || value > 100) {
      return base::InvalidArgument("container " + c.name + ": resource " + pct + " \"" + *p +
                                   "\" must be within 0..100");
    }
  }
  const bool uses = anywhere(count);
  if (uses && !anywhere(cores)) {
    bool whole_card = false;
    if (const std::string* p = Find(c, pct)) whole_card = base::ParseQuantityInt64(*p).value_or(0) == 100;
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

void NvidiaVendor::AdmitPod(model::Pod& pod) const {
  if (!config_.runtime_class_name.empty() && pod.runtime_class_name.empty()) {
    pod.runtime_class_name = config_.runtime_class_name;
  }
}

}  // namespace hami::vendor::nvidia
