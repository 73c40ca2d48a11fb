// AscendVendor::ContainerRequest, ::Admit and ::AdmitPod: vendors.md §3 "Webhook" and "Request".
#include <limits>

#include "base/quantity.h"
#include "vendor/ascend/ascend_vendor.h"
#include "vendor/common.h"

namespace hami::vendor::ascend {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

base::Status Bad(const model::Container& c, const std::string& message) {
  return base::InvalidArgument("container " + c.name + ": " + message);
}

// Upstream's webhook writes: the limit, and the request when there is one (`always_request`:
// create it), so Kubernetes keeps an extended resource's request equal to its limit.
void SetQuantity(model::Container& c, const std::string& name, const std::string& value,
                 bool always_request) {
  c.limits[name] = value;
  if (always_request || c.requests.count(name) != 0) c.requests[name] = value;
}

}  // namespace

base::Result<std::optional<int64_t>> AscendVendor::MemoryMiB(const model::Container& c,
                                                             const std::string* text) const {
  if (text == nullptr) return std::optional<int64_t>();
  const std::string& name = chip_.resource_memory_name;
  auto mib = base::ParseMemoryMiB(*text);
  if (!mib.ok()) return mib.error().WithContext("container " + c.name + ": resource " + name);
  const int64_t factor = chip_.EffectiveMemoryFactor();
  if (*mib > kInt32Max / factor) {
    return Bad(c, "resource " + name + " \"" + *text +
                      "\" exceeds the largest request with memoryFactor " + std::to_string(factor));
  }
  return std::optional<int64_t>(*mib * factor);
}

base::Result<int64_t> AscendVendor::Cores(const model::Container& c, bool hami_core) const {
  const std::string& name = chip_.resource_core_name;
  const std::string* text = Quantity(c, name);
  if (text == nullptr) return int64_t{0};
  HAMI_ASSIGN_OR_RETURN(int64_t cores, IntQuantity(c, name, *text));
  if (cores < 0 || cores > kInt32Max) {
    return Bad(c, "resource " + name + " \"" + *text + "\" must be within 0.." +
                      std::to_string(kInt32Max));
  }
  if (!hami_core && cores > 0) {
    return Bad(c, name + " is only supported in hami-core (soft split) mode");
  }
  return cores;
}

base::Result<int64_t> AscendVendor::Trimmed(const model::Container& c, const std::string& text,
                                            int64_t mib) const {
  auto trimmed = chip_.Trim(mib);
  if (!trimmed) return Bad(c, chip_.resource_memory_name + " " + text + " is invalid");
  return trimmed->memory;
}

bool AscendVendor::AsksForAnyAscend(const model::Container& c) const {
  for (const auto& name : *count_resources_) {
    if (c.limits.count(name) != 0 || c.requests.count(name) != 0) return true;
  }
  return false;
}

base::Result<std::optional<model::DeviceRequest>> AscendVendor::ContainerRequest(
    const model::Pod& pod, const model::Container& c) const {
  HAMI_ASSIGN_OR_RETURN(auto count, RequestCount(c, chip_.resource_name));
  if (!count) return std::optional<model::DeviceRequest>();
  int32_t nums = *count;
  if (chip_.super_pod && nums == 1) nums = kNpusPerModule;
  model::DeviceRequest request;
  request.vendor = Name();
  request.nums = nums;

  const bool hami_core = IsHamiCore(pod);
  const std::string* mem_text = Quantity(c, chip_.resource_memory_name);
  HAMI_ASSIGN_OR_RETURN(auto mib, MemoryMiB(c, mem_text));
  if (!mib) {
    request.memreq = chip_.memory_allocatable;
  } else if (hami_core) {
    request.memreq = *mib;
  } else {
    HAMI_ASSIGN_OR_RETURN(request.memreq, Trimmed(c, *mem_text, *mib));
  }
  if (request.memreq == 0) request.mem_percentage = 100;
  HAMI_ASSIGN_OR_RETURN(request.coresreq, Cores(c, hami_core));
  return std::optional<model::DeviceRequest>(request);
}

base::Result<bool> AscendVendor::Admit(model::Pod& pod, model::Container& c) const {
  const std::string* count_text = Quantity(c, chip_.resource_name);
  if (count_text == nullptr) {
    if (chip_.overwrite_env && !AsksForAnyAscend(c)) c.env[kVisibleDevicesEnv] = "";
    return false;
  }
  HAMI_ASSIGN_OR_RETURN(int64_t original, IntQuantity(c, chip_.resource_name, *count_text));
  if (original <= 0) return false;
  if (chip_.super_pod && original == 1) {
    SetQuantity(c, chip_.resource_name, std::to_string(kNpusPerModule), false);
  } else if (chip_.super_pod && original % kNpusPerModule != 0) {
    return Bad(c, Name() + " device request must be 1 or 2*n, got " + std::to_string(original));
  }
  const bool hami_core = IsHamiCore(pod);
  HAMI_ASSIGN_OR_RETURN(int64_t cores, Cores(c, hami_core));
  (void)cores;
  const std::string* mem_text = Quantity(c, chip_.resource_memory_name);
  HAMI_ASSIGN_OR_RETURN(auto mib, MemoryMiB(c, mem_text));
  int64_t trimmed = chip_.memory_allocatable;
  if (mib && hami_core) {
    trimmed = *mib;
  } else if (mib) {
    HAMI_ASSIGN_OR_RETURN(trimmed, Trimmed(c, *mem_text, *mib));
  }
  if (original > 1 && !hami_core && trimmed != chip_.memory_allocatable) {
    return Bad(c, "vNPU not supported for multiple devices");
  }
  if (chip_.EffectiveMemoryFactor() == 1) {
    SetQuantity(c, chip_.resource_memory_name, std::to_string(trimmed), true);
  }
  return true;
}

base::Status AscendVendor::AdmitPod(model::Pod& pod) const {
  if (!chip_.runtime_class_name.empty() && pod.runtime_class_name.empty()) {
    pod.runtime_class_name = chip_.runtime_class_name;
  }
  return {};
}

}  // namespace hami::vendor::ascend
