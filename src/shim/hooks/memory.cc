// Memory hooks: plain, pitched and managed allocations, arrays and mipmapped arrays, each reserved
// in the shared region at its device footprint before the driver call; memory info reports the
// limit. Plain and pitched allocations spill to host memory when oversubscribed (spill.cc).
// Pools and the stream-ordered allocator are in pool.cc, VMM in vmm.cc.
// WIRE: the exported names are the driver's ABI.
#include "shim/hooks/hook_util.h"

using hami::shim::AccountedAlloc;
using hami::shim::AccountedFree;
using hami::shim::CurrentDevice;
using hami::shim::Runtime;
using hami::shim::SpillAlloc;
using hami::shim::UsageKind;
using hami::shim::limit::DeviceFootprint;

namespace {

bool MulOk(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_mul_overflow(a, b, out); }

uint64_t FormatBytes(CUarray_format f) {
  switch (f) {
    case CU_AD_FORMAT_UNSIGNED_INT8:
    case CU_AD_FORMAT_SIGNED_INT8:
      return 1;
    case CU_AD_FORMAT_UNSIGNED_INT16:
    case CU_AD_FORMAT_SIGNED_INT16:
    case CU_AD_FORMAT_HALF:
      return 2;
    default:
      return 4;
  }
}

// Bytes an array occupies: width x height x depth x channels x element size (0 dims count as 1).
uint64_t ArrayBytes(size_t w, size_t h, size_t d, unsigned channels, CUarray_format f) {
  uint64_t n = 1;
  for (uint64_t x : {static_cast<uint64_t>(w), static_cast<uint64_t>(h ? h : 1),
                     static_cast<uint64_t>(d ? d : 1),
                     static_cast<uint64_t>(channels ? channels : 1), FormatBytes(f)}) {
    if (!MulOk(n, x, &n)) return UINT64_MAX;
  }
  return n;
}

uint64_t Halved(size_t extent, unsigned level) {
  if (extent == 0) return 0;
  const uint64_t v = level >= 64 ? 0 : static_cast<uint64_t>(extent) >> level;
  return v == 0 ? 1 : v;
}

// A mipmapped array is one array per level, each level half the previous one in every dimension
// (layers of a layered array are not halved); each level costs its own footprint.
uint64_t MipmapFootprint(const CUDA_ARRAY3D_DESCRIPTOR& d, unsigned levels) {
  uint64_t sum = 0;
  const bool layered = (d.Flags & CUDA_ARRAY3D_LAYERED) != 0;
  for (unsigned l = 0; l < levels; ++l) {
    const uint64_t bytes =
        ArrayBytes(Halved(d.Width, l), Halved(d.Height, l), layered ? d.Depth : Halved(d.Depth, l),
                   d.NumChannels, d.Format);
    const uint64_t f = DeviceFootprint(bytes);
    sum = sum > UINT64_MAX - f ? UINT64_MAX : sum + f;
  }
  return sum;
}

}  // namespace

extern "C" {

CUresult cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytesize) {
  HAMI_REAL_OR_FAIL(cuMemAlloc_v2);
  if (dptr == nullptr || bytesize == 0) return real(dptr, bytesize);
  const int dev = CurrentDevice();
  return AccountedAlloc(
      Runtime::Get().allocs(), dev, DeviceFootprint(bytesize), [&] { return real(dptr, bytesize); },
      dptr, [&] { return SpillAlloc(dev, bytesize, dptr); });
}

CUresult cuMemAllocManaged(CUdeviceptr* dptr, size_t bytesize, unsigned int flags) {
  HAMI_REAL_OR_FAIL(cuMemAllocManaged);
  if (dptr == nullptr || bytesize == 0) return real(dptr, bytesize, flags);
  return AccountedAlloc(
      Runtime::Get().allocs(), CurrentDevice(), DeviceFootprint(bytesize),
      [&] { return real(dptr, bytesize, flags); }, dptr);
}

CUresult cuMemAllocPitch_v2(CUdeviceptr* dptr, size_t* pitch, size_t width, size_t height,
                            unsigned int element_size) {
  HAMI_REAL_OR_FAIL(cuMemAllocPitch_v2);
  uint64_t rows = 0;
  if (dptr == nullptr || pitch == nullptr ||
      !MulOk(hami::shim::limit::RoundUp(width, 512), height, &rows) || rows == 0) {
    return real(dptr, pitch, width, height, element_size);
  }
  Runtime& rt = Runtime::Get();
  const int dev = CurrentDevice();
  const uint64_t estimate = DeviceFootprint(rows);
  const uint64_t spill_pitch = hami::shim::limit::RoundUp(width, 512);
  const CUresult r = AccountedAlloc(
      rt.allocs(), dev, estimate, [&] { return real(dptr, pitch, width, height, element_size); },
      dptr,
      [&] {
        const CUresult s = SpillAlloc(dev, rows, dptr);  // rows = spill_pitch x height
        if (s == CUDA_SUCCESS) *pitch = spill_pitch;
        return s;
      });
  if (r != CUDA_SUCCESS || dev < 0) return r;
  // Settle on what the driver really took: pitch x height.
  uint64_t actual = estimate;
  if (!MulOk(*pitch, height, &actual) || DeviceFootprint(actual) == estimate) return r;
  actual = DeviceFootprint(actual);
  hami::shim::AllocTable::Entry e;
  if (!rt.allocs().Take(*dptr, &e)) return r;
  if (actual > estimate && !rt.Reserve(dev, actual - estimate, UsageKind::kData)) {
    if (auto free_fn = CU_REAL(cuMemFree_v2)) free_fn(*dptr);
    rt.Unreserve(dev, estimate, UsageKind::kData);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  if (actual < estimate) rt.Unreserve(dev, estimate - actual, UsageKind::kData);
  e.bytes = actual;
  rt.allocs().Insert(*dptr, e);
  return r;
}

CUresult cuArrayCreate_v2(CUarray* handle, const CUDA_ARRAY_DESCRIPTOR* desc) {
  HAMI_REAL_OR_FAIL(cuArrayCreate_v2);
  if (handle == nullptr || desc == nullptr) return real(handle, desc);
  const uint64_t bytes = ArrayBytes(desc->Width, desc->Height, 1, desc->NumChannels, desc->Format);
  return AccountedAlloc(
      Runtime::Get().arrays(), CurrentDevice(), DeviceFootprint(bytes),
      [&] { return real(handle, desc); }, handle);
}

CUresult cuArray3DCreate_v2(CUarray* handle, const CUDA_ARRAY3D_DESCRIPTOR* desc) {
  HAMI_REAL_OR_FAIL(cuArray3DCreate_v2);
  if (handle == nullptr || desc == nullptr) return real(handle, desc);
  const uint64_t bytes =
      ArrayBytes(desc->Width, desc->Height, desc->Depth, desc->NumChannels, desc->Format);
  return AccountedAlloc(
      Runtime::Get().arrays(), CurrentDevice(), DeviceFootprint(bytes),
      [&] { return real(handle, desc); }, handle);
}

CUresult cuArrayDestroy(CUarray handle) {
  HAMI_REAL_OR_FAIL(cuArrayDestroy);
  if (handle == nullptr) return real(handle);
  return AccountedFree(Runtime::Get().arrays(), reinterpret_cast<uint64_t>(handle),
                       [&] { return real(handle); });
}

CUresult cuMipmappedArrayCreate(CUmipmappedArray* handle, const CUDA_ARRAY3D_DESCRIPTOR* desc,
                                unsigned int levels) {
  HAMI_REAL_OR_FAIL(cuMipmappedArrayCreate);
  if (handle == nullptr || desc == nullptr || levels == 0) return real(handle, desc, levels);
  return AccountedAlloc(
      Runtime::Get().arrays(), CurrentDevice(), MipmapFootprint(*desc, levels),
      [&] { return real(handle, desc, levels); }, handle);
}

CUresult cuMipmappedArrayDestroy(CUmipmappedArray handle) {
  HAMI_REAL_OR_FAIL(cuMipmappedArrayDestroy);
  if (handle == nullptr) return real(handle);
  return AccountedFree(Runtime::Get().arrays(), reinterpret_cast<uint64_t>(handle),
                       [&] { return real(handle); });
}

CUresult cuMemGetInfo_v2(size_t* free, size_t* total) {
  HAMI_REAL_OR_FAIL(cuMemGetInfo_v2);
  size_t f = 0, t = 0;
  const CUresult r = real(&f, &t);
  if (r != CUDA_SUCCESS) return r;
  const int dev = CurrentDevice();
  Runtime& rt = Runtime::Get();
  const uint64_t limit = rt.Limit(dev);
  if (limit != 0) {
    const auto m =
        hami::shim::limit::LimitedMemInfo(limit, rt.Used(dev), {f, t}, rt.Oversubscribes(dev));
    f = m.free;
    t = m.total;
  }
  if (rt.broken() != nullptr) f = 0;  // nothing can be allocated
  if (free != nullptr) *free = f;
  if (total != nullptr) *total = t;
  return r;
}

CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice dev) {
  HAMI_REAL_OR_FAIL(cuDeviceTotalMem_v2);
  const CUresult r = real(bytes, dev);
  if (r != CUDA_SUCCESS || bytes == nullptr) return r;
  Runtime& rt = Runtime::Get();
  const uint64_t limit = rt.Limit(dev);
  if (limit != 0 && (limit < *bytes || rt.Oversubscribes(dev))) *bytes = limit;
  return r;
}

}  // extern "C"
