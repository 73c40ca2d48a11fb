// Oversubscription (CUDA_OVERSUBSCRIBE): the host memory behind an allocation the GPU has no room
// for. Why managed memory rather than mapped pinned memory: docs/libvgpu.md, "Oversubscription".
#include "shim/hooks/hook_util.h"
#include "shim/log.h"

namespace hami::shim {

CUresult SpillAlloc(int dev, uint64_t bytes, CUdeviceptr* dptr) {
  auto alloc = CU_REAL(cuMemAllocManaged);
  if (alloc == nullptr || alloc(dptr, bytes, CU_MEM_ATTACH_GLOBAL) != CUDA_SUCCESS) {
    SHIM_WARN("device %d: no host memory for %llu spilled bytes", dev,
              static_cast<unsigned long long>(bytes));
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  // Kept on the host and mapped on the GPU: the spill never takes device memory by itself (the
  // application may still prefetch or re-advise its own memory; it stays charged either way).
  auto advise = CU_REAL(cuMemAdvise);
  if (advise == nullptr ||
      advise(*dptr, bytes, CU_MEM_ADVISE_SET_PREFERRED_LOCATION, CU_DEVICE_CPU) != CUDA_SUCCESS ||
      advise(*dptr, bytes, CU_MEM_ADVISE_SET_ACCESSED_BY, dev) != CUDA_SUCCESS) {
    SHIM_WARN("device %d: spilled memory could not be advised to stay on the host", dev);
  }
  SHIM_INFO("device %d: %llu bytes spilled to host memory", dev,
            static_cast<unsigned long long>(bytes));
  return CUDA_SUCCESS;
}

}  // namespace hami::shim
