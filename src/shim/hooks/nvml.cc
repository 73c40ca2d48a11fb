// NVML hooks: memory info reports the container's limit and usage (what nvidia-smi shows inside
// the container). WIRE: NVML ABI names; nvmlMemory_v2_t layout.
#include "gpuapi/nvml_functions.h"
#include "shim/limit/budget.h"
#include "shim/loader.h"
#include "shim/runtime.h"

using hami::shim::Runtime;

namespace {

// Applies the limit to (free, total); returns false when no limit applies to `device`.
bool Limited(nvmlDevice_t device, unsigned long long* free, unsigned long long* total) {
  Runtime& rt = Runtime::Get();
  const int dev = rt.CudaIndexForNvml(device);
  const uint64_t limit = rt.Limit(dev);
  if (dev < 0 || limit == 0) return false;
  const auto m = hami::shim::limit::LimitedMemInfo(limit, rt.Used(dev), {*free, *total},
                                                   rt.Oversubscribes(dev));
  *free = m.free;
  *total = m.total;
  return true;
}

}  // namespace

extern "C" {

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t* memory) {
  auto real = NVML_REAL_FN(nvmlDeviceGetMemoryInfo);
  if (real == nullptr) return NVML_ERROR_FUNCTION_NOT_FOUND;
  const nvmlReturn_t r = real(device, memory);
  if (r != NVML_SUCCESS || memory == nullptr) return r;
  if (Limited(device, &memory->free, &memory->total)) memory->used = memory->total - memory->free;
  return r;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t* memory) {
  auto real = NVML_REAL_FN(nvmlDeviceGetMemoryInfo_v2);
  if (real == nullptr) return NVML_ERROR_FUNCTION_NOT_FOUND;
  const nvmlReturn_t r = real(device, memory);
  if (r != NVML_SUCCESS || memory == nullptr) return r;
  if (Limited(device, &memory->free, &memory->total)) {
    memory->reserved = 0;
    memory->used = memory->total - memory->free;
  }
  return r;
}

}  // extern "C"
