// Memory hooks: every device-memory allocation path is reserved in the shared region before the
// driver call; memory info reports the limit. WIRE: the exported names are the driver's ABI.
#include <cstring>

#include "shim/hooks/hook_util.h"
#include "shim/limit/budget.h"

using hami::shim::AccountedAlloc;
using hami::shim::AccountedFree;
using hami::shim::CurrentDevice;
using hami::shim::Runtime;
using hami::shim::UsageKind;

namespace {

bool MulOk(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_mul_overflow(a, b, out); }

uint64_t FormatBytes(CUarray_format f) {
  switch (f) {
    case CU_AD_FORMAT_UNSIGNED_INT8:
    case CU_AD_FORMAT_SIGNED_INT8: return 1;
    case CU_AD_FORMAT_UNSIGNED_INT16:
    case CU_AD_FORMAT_SIGNED_INT16:
    case CU_AD_FORMAT_HALF: return 2;
    default: return 4;
  }
}

// Bytes an array occupies: width x height x depth x channels x element size (0 dims count as 1).
uint64_t ArrayBytes(size_t w, size_t h, size_t d, unsigned channels, CUarray_format f) {
  uint64_t n = 1;
  for (uint64_t x : {static_cast<uint64_t>(w), static_cast<uint64_t>(h ? h : 1),
                     static_cast<uint64_t>(d ? d : 1), static_cast<uint64_t>(channels ? channels : 1),
                     FormatBytes(f)}) {
    if (!MulOk(n, x, &n)) return UINT64_MAX;
  }
  return n;
}

}  // namespace

extern "C" {

CUresult cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytesize) {
  HAMI_REAL_OR_FAIL(cuMemAlloc_v2);
  if (dptr == nullptr || bytesize == 0) return real(dptr, bytesize);
  Runtime& rt = Runtime::Get();
  return AccountedAlloc(rt.allocs(), CurrentDevice(), bytesize,
                        [&] { return real(dptr, bytesize); }, dptr);
}

CUresult cuMemAllocManaged(CUdeviceptr* dptr, size_t bytesize, unsigned int flags) {
  HAMI_REAL_OR_FAIL(cuMemAllocManaged);
  if (dptr == nullptr || bytesize == 0) return real(dptr, bytesize, flags);
  Runtime& rt = Runtime::Get();
  return AccountedAlloc(rt.allocs(), CurrentDevice(), bytesize,
                        [&] { return real(dptr, bytesize, flags); }, dptr);
}

CUresult cuMemAllocPitch_v2(CUdeviceptr* dptr, size_t* pitch, size_t width, size_t height,
                            unsigned int element_size) {
  HAMI_REAL_OR_FAIL(cuMemAllocPitch_v2);
  const int dev = CurrentDevice();
  uint64_t estimate = 0;
  if (dptr == nullptr || pitch == nullptr || dev < 0 ||
      !MulOk(hami::shim::limit::RoundUp(width, 512), height, &estimate) || estimate == 0) {
    return real(dptr, pitch, width, height, element_size);
  }
  Runtime& rt = Runtime::Get();
  if (!rt.Reserve(dev, estimate, UsageKind::kData)) return CUDA_ERROR_OUT_OF_MEMORY;
  const CUresult r = real(dptr, pitch, width, height, element_size);
  if (r != CUDA_SUCCESS) {
    rt.Unreserve(dev, estimate, UsageKind::kData);
    return r;
  }
  // Settle on what the driver really took: pitch x height.
  uint64_t actual = estimate;
  if (MulOk(*pitch, height, &actual) && actual != estimate) {
    if (actual > estimate && !rt.Reserve(dev, actual - estimate, UsageKind::kData)) {
      if (auto free_fn = CU_REAL(cuMemFree_v2)) free_fn(*dptr);
      rt.Unreserve(dev, estimate, UsageKind::kData);
      return CUDA_ERROR_OUT_OF_MEMORY;
    }
    if (actual < estimate) rt.Unreserve(dev, estimate - actual, UsageKind::kData);
  }
  rt.allocs().Insert(*dptr, {actual, dev, static_cast<int32_t>(UsageKind::kData)});
  return r;
}

CUresult cuMemFree_v2(CUdeviceptr dptr) {
  HAMI_REAL_OR_FAIL(cuMemFree_v2);
  if (dptr == 0) return real(dptr);
  return AccountedFree(Runtime::Get().allocs(), dptr, [&] { return real(dptr); });
}

CUresult cuArrayCreate_v2(CUarray* handle, const CUDA_ARRAY_DESCRIPTOR* desc) {
  HAMI_REAL_OR_FAIL(cuArrayCreate_v2);
  if (handle == nullptr || desc == nullptr) return real(handle, desc);
  const uint64_t bytes = ArrayBytes(desc->Width, desc->Height, 1, desc->NumChannels, desc->Format);
  const void* key = handle;
  return AccountedAlloc(Runtime::Get().arrays(), CurrentDevice(), bytes,
                        [&] { return real(handle, desc); }, key);
}

CUresult cuArray3DCreate_v2(CUarray* handle, const CUDA_ARRAY3D_DESCRIPTOR* desc) {
  HAMI_REAL_OR_FAIL(cuArray3DCreate_v2);
  if (handle == nullptr || desc == nullptr) return real(handle, desc);
  const uint64_t bytes =
      ArrayBytes(desc->Width, desc->Height, desc->Depth, desc->NumChannels, desc->Format);
  const void* key = handle;
  return AccountedAlloc(Runtime::Get().arrays(), CurrentDevice(), bytes,
                        [&] { return real(handle, desc); }, key);
}

CUresult cuArrayDestroy(CUarray handle) {
  HAMI_REAL_OR_FAIL(cuArrayDestroy);
  if (handle == nullptr) return real(handle);
  return AccountedFree(Runtime::Get().arrays(), reinterpret_cast<uint64_t>(handle),
                       [&] { return real(handle); });
}

CUresult cuMemCreate(CUmemGenericAllocationHandle* handle, size_t size,
                     const CUmemAllocationProp* prop, unsigned long long flags) {
  HAMI_REAL_OR_FAIL(cuMemCreate);
  // Only device-resident memory counts; host/NUMA locations pass through (upstream #187).
  if (handle == nullptr || prop == nullptr || prop->location.type != CU_MEM_LOCATION_TYPE_DEVICE ||
      size == 0) {
    return real(handle, size, prop, flags);
  }
  size_t gran = 0;
  if (auto g = CU_REAL(cuMemGetAllocationGranularity)) {
    if (g(&gran, prop, CU_MEM_ALLOC_GRANULARITY_MINIMUM) != CUDA_SUCCESS) gran = 0;
  }
  const uint64_t bytes = hami::shim::limit::RoundUp(size, gran);
  const void* key = handle;
  return AccountedAlloc(Runtime::Get().vmm(), prop->location.id, bytes,
                        [&] { return real(handle, size, prop, flags); }, key);
}

CUresult cuMemRelease(CUmemGenericAllocationHandle handle) {
  HAMI_REAL_OR_FAIL(cuMemRelease);
  return AccountedFree(Runtime::Get().vmm(), handle, [&] { return real(handle); });
}

#define HAMI_ASYNC_ALLOC(sym)                                                            \
  CUresult sym(CUdeviceptr* dptr, size_t bytesize, CUstream stream) {                    \
    HAMI_REAL_OR_FAIL(sym);                                                              \
    if (dptr == nullptr || bytesize == 0) return real(dptr, bytesize, stream);           \
    return AccountedAlloc(Runtime::Get().allocs(), CurrentDevice(), bytesize,            \
                          [&] { return real(dptr, bytesize, stream); }, dptr);           \
  }
HAMI_ASYNC_ALLOC(cuMemAllocAsync)
HAMI_ASYNC_ALLOC(cuMemAllocAsync_ptsz)
#undef HAMI_ASYNC_ALLOC

#define HAMI_POOL_ALLOC(sym)                                                                 \
  CUresult sym(CUdeviceptr* dptr, size_t bytesize, CUmemoryPool pool, CUstream stream) {     \
    HAMI_REAL_OR_FAIL(sym);                                                                  \
    if (dptr == nullptr || bytesize == 0) return real(dptr, bytesize, pool, stream);         \
    return AccountedAlloc(Runtime::Get().allocs(), CurrentDevice(), bytesize,                \
                          [&] { return real(dptr, bytesize, pool, stream); }, dptr);         \
  }
HAMI_POOL_ALLOC(cuMemAllocFromPoolAsync)
HAMI_POOL_ALLOC(cuMemAllocFromPoolAsync_ptsz)
#undef HAMI_POOL_ALLOC

#define HAMI_ASYNC_FREE(sym)                                                       \
  CUresult sym(CUdeviceptr dptr, CUstream stream) {                                \
    HAMI_REAL_OR_FAIL(sym);                                                        \
    if (dptr == 0) return real(dptr, stream);                                      \
    return AccountedFree(Runtime::Get().allocs(), dptr,                            \
                         [&] { return real(dptr, stream); });                      \
  }
HAMI_ASYNC_FREE(cuMemFreeAsync)
HAMI_ASYNC_FREE(cuMemFreeAsync_ptsz)
#undef HAMI_ASYNC_FREE

CUresult cuMemGetInfo_v2(size_t* free, size_t* total) {
  HAMI_REAL_OR_FAIL(cuMemGetInfo_v2);
  size_t f = 0, t = 0;
  const CUresult r = real(&f, &t);
  if (r != CUDA_SUCCESS) return r;
  const int dev = CurrentDevice();
  Runtime& rt = Runtime::Get();
  const uint64_t limit = rt.Limit(dev);
  if (limit != 0) {
    const auto m = hami::shim::limit::LimitedMemInfo(limit, rt.Used(dev), {f, t});
    f = m.free;
    t = m.total;
  }
  if (free != nullptr) *free = f;
  if (total != nullptr) *total = t;
  return r;
}

CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice dev) {
  HAMI_REAL_OR_FAIL(cuDeviceTotalMem_v2);
  const CUresult r = real(bytes, dev);
  if (r != CUDA_SUCCESS || bytes == nullptr) return r;
  const uint64_t limit = Runtime::Get().Limit(dev);
  if (limit != 0 && limit < *bytes) *bytes = limit;
  return r;
}

}  // extern "C"
