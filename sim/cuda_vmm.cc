// Simulated driver entry points: arrays, mipmapped arrays and virtual memory management. Every
// path that takes device memory charges the shared GPU. Pools are in cuda_pool.cc.
#include <algorithm>
#include <mutex>

#include "gpuapi/cuda_functions.h"
#include "sim/cuda_process.h"

using hami::sim::Array;
using hami::sim::Context;
using hami::sim::MipmappedArray;
using hami::sim::ObjKind;
using hami::sim::Process;
using hami::sim::VmmHandle;
using hami::sim::VmmMapping;

namespace {

using Lock = std::lock_guard<std::mutex>;
constexpr uint64_t kGranularity = hami::sim::kLargePage;

int FormatBytes(CUarray_format format) {
  switch (format) {
    case CU_AD_FORMAT_UNSIGNED_INT8:
    case CU_AD_FORMAT_SIGNED_INT8:
      return 1;
    case CU_AD_FORMAT_UNSIGNED_INT16:
    case CU_AD_FORMAT_SIGNED_INT16:
    case CU_AD_FORMAT_HALF:
      return 2;
    case CU_AD_FORMAT_UNSIGNED_INT32:
    case CU_AD_FORMAT_SIGNED_INT32:
    case CU_AD_FORMAT_FLOAT:
      return 4;
  }
  return 0;
}

bool ValidArray(const CUDA_ARRAY3D_DESCRIPTOR& desc) {
  const bool channels_ok = desc.NumChannels == 1 || desc.NumChannels == 2 || desc.NumChannels == 4;
  const unsigned __int128 bytes = static_cast<unsigned __int128>(desc.Width) *
                                  (desc.Height ? desc.Height : 1) * (desc.Depth ? desc.Depth : 1) *
                                  FormatBytes(desc.Format) * desc.NumChannels;
  return desc.Width != 0 && FormatBytes(desc.Format) != 0 && channels_ok &&
         bytes <= (static_cast<unsigned __int128>(1) << 50);
}

// Physical memory of an array: its bytes rounded like any allocation.
uint64_t ArrayCharge(const CUDA_ARRAY3D_DESCRIPTOR& desc) {
  return hami::sim::PhysicalCharge(static_cast<uint64_t>(desc.Width) *
                                   (desc.Height ? desc.Height : 1) * (desc.Depth ? desc.Depth : 1) *
                                   FormatBytes(desc.Format) * desc.NumChannels);
}

size_t Half(size_t extent, unsigned level) {
  return extent == 0 ? 0 : std::max<size_t>(extent >> level, 1);
}

// Level `level` of a mipmapped array: every extent halved (not the layers of a layered array).
CUDA_ARRAY3D_DESCRIPTOR LevelDesc(const CUDA_ARRAY3D_DESCRIPTOR& d, unsigned level) {
  CUDA_ARRAY3D_DESCRIPTOR out = d;
  out.Width = Half(d.Width, level);
  out.Height = Half(d.Height, level);
  if ((d.Flags & CUDA_ARRAY3D_LAYERED) == 0) out.Depth = Half(d.Depth, level);
  return out;
}

uint64_t LevelCharge(const CUDA_ARRAY3D_DESCRIPTOR& d, unsigned level) {
  return ArrayCharge(LevelDesc(d, level));
}

CUresult CreateArray(CUarray* handle, const CUDA_ARRAY3D_DESCRIPTOR& desc) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Context* ctx = p.Current();
  if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  if (handle == nullptr || !ValidArray(desc)) return CUDA_ERROR_INVALID_VALUE;
  uint64_t charge = ArrayCharge(desc);
  if (!p.Charge(ctx->device, charge)) return CUDA_ERROR_OUT_OF_MEMORY;
  auto array = std::make_unique<Array>();
  array->ctx = ctx;
  array->desc = desc;
  array->charged = charge;
  *handle = reinterpret_cast<CUarray>(p.Add(std::move(array)));
  return CUDA_SUCCESS;
}

// Device of an allocation property, validating it like the driver; -1 for host locations.
CUresult PropDevice(const Process& p, const CUmemAllocationProp* prop, int* device) {
  if (prop == nullptr || prop->type != CU_MEM_ALLOCATION_TYPE_PINNED)
    return CUDA_ERROR_INVALID_VALUE;
  switch (prop->location.type) {
    case CU_MEM_LOCATION_TYPE_DEVICE:
      if (!p.ValidDevice(prop->location.id)) return CUDA_ERROR_INVALID_DEVICE;
      *device = prop->location.id;
      return CUDA_SUCCESS;
    case CU_MEM_LOCATION_TYPE_HOST:
    case CU_MEM_LOCATION_TYPE_HOST_NUMA:
    case CU_MEM_LOCATION_TYPE_HOST_NUMA_CURRENT:
      *device = -1;
      return CUDA_SUCCESS;
    default:
      return CUDA_ERROR_INVALID_VALUE;
  }
}

// The reservation containing [ptr, ptr + size), or end().
std::map<uint64_t, uint64_t>::const_iterator FindReservation(const Process& p, uint64_t ptr,
                                                             uint64_t size) {
  auto it = p.va_reservations.upper_bound(ptr);
  if (it == p.va_reservations.begin()) return p.va_reservations.end();
  --it;
  uint64_t end = it->first + it->second;
  return ptr < end && size <= end - ptr ? it : p.va_reservations.end();
}

}  // namespace

extern "C" {

CUresult cuArrayCreate_v2(CUarray* handle, const CUDA_ARRAY_DESCRIPTOR* desc) {
  if (desc == nullptr) return CUDA_ERROR_INVALID_VALUE;
  CUDA_ARRAY3D_DESCRIPTOR d3{desc->Width, desc->Height, 0, desc->Format, desc->NumChannels, 0};
  return CreateArray(handle, d3);
}

CUresult cuArray3DCreate_v2(CUarray* handle, const CUDA_ARRAY3D_DESCRIPTOR* desc) {
  if (desc == nullptr) return CUDA_ERROR_INVALID_VALUE;
  return CreateArray(handle, *desc);
}

CUresult cuArrayDestroy(CUarray handle) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Array* array = p.Find<Array>(handle, ObjKind::kArray);
  if (array == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  p.Uncharge(array->ctx->device, array->charged);
  p.Remove(array);
  return CUDA_SUCCESS;
}

CUresult cuMipmappedArrayCreate(CUmipmappedArray* handle, const CUDA_ARRAY3D_DESCRIPTOR* desc,
                                unsigned int levels) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Context* ctx = p.Current();
  if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  if (handle == nullptr || desc == nullptr || levels == 0 || levels > 32 || !ValidArray(*desc)) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  uint64_t charge = 0;
  for (unsigned l = 0; l < levels; ++l) charge += LevelCharge(*desc, l);
  if (!p.Charge(ctx->device, charge)) return CUDA_ERROR_OUT_OF_MEMORY;
  auto mip = std::make_unique<MipmappedArray>();
  mip->ctx = ctx;
  mip->desc = *desc;
  mip->levels = levels;
  mip->charged = charge;
  *handle = reinterpret_cast<CUmipmappedArray>(p.Add(std::move(mip)));
  return CUDA_SUCCESS;
}

CUresult cuMipmappedArrayGetLevel(CUarray* level_array, CUmipmappedArray handle,
                                  unsigned int level) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  auto* mip = p.Find<MipmappedArray>(handle, ObjKind::kMipmappedArray);
  if (mip == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  if (level_array == nullptr || level >= mip->levels) return CUDA_ERROR_INVALID_VALUE;
  if (mip->level_arrays.empty()) {
    for (unsigned l = 0; l < mip->levels; ++l) {
      auto array = std::make_unique<Array>();  // memory is the mipmapped array's (charged 0)
      array->ctx = mip->ctx;
      array->desc = LevelDesc(mip->desc, l);
      mip->level_arrays.push_back(p.Add(std::move(array)));
    }
  }
  *level_array = reinterpret_cast<CUarray>(mip->level_arrays[level]);
  return CUDA_SUCCESS;
}

CUresult cuMipmappedArrayDestroy(CUmipmappedArray handle) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  auto* mip = p.Find<MipmappedArray>(handle, ObjKind::kMipmappedArray);
  if (mip == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  for (Array* level : mip->level_arrays) p.Remove(level);
  p.Uncharge(mip->ctx->device, mip->charged);
  p.Remove(mip);
  return CUDA_SUCCESS;
}

CUresult cuArrayGetDescriptor_v2(CUDA_ARRAY_DESCRIPTOR* desc, CUarray handle) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Array* array = p.Find<Array>(handle, ObjKind::kArray);
  if (array == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  if (desc == nullptr || array->desc.Depth != 0) return CUDA_ERROR_INVALID_VALUE;
  *desc = {array->desc.Width, array->desc.Height, array->desc.Format, array->desc.NumChannels};
  return CUDA_SUCCESS;
}

CUresult cuArray3DGetDescriptor_v2(CUDA_ARRAY3D_DESCRIPTOR* desc, CUarray handle) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Array* array = p.Find<Array>(handle, ObjKind::kArray);
  if (array == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  if (desc == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *desc = array->desc;
  return CUDA_SUCCESS;
}

CUresult cuMemGetAllocationGranularity(size_t* granularity, const CUmemAllocationProp* prop,
                                       CUmemAllocationGranularity_flags option) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  int device = 0;
  if (CUresult r = PropDevice(p, prop, &device); r != CUDA_SUCCESS) return r;
  if (granularity == nullptr || (option != CU_MEM_ALLOC_GRANULARITY_MINIMUM &&
                                 option != CU_MEM_ALLOC_GRANULARITY_RECOMMENDED)) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  *granularity = kGranularity;
  return CUDA_SUCCESS;
}

CUresult cuMemCreate(CUmemGenericAllocationHandle* handle, size_t size,
                     const CUmemAllocationProp* prop, unsigned long long flags) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  int device = 0;
  if (CUresult r = PropDevice(p, prop, &device); r != CUDA_SUCCESS) return r;
  if (handle == nullptr || flags != 0 || size == 0 || size % kGranularity != 0) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  if (device >= 0 && !p.Charge(device, size)) return CUDA_ERROR_OUT_OF_MEMORY;
  CUmemGenericAllocationHandle id = p.next_vmm_handle++;
  VmmHandle& h = p.vmm_handles[id];
  h.size = size;
  h.device = device;
  h.prop = *prop;
  *handle = id;
  return CUDA_SUCCESS;
}

CUresult cuMemRelease(CUmemGenericAllocationHandle handle) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  auto it = p.vmm_handles.find(handle);
  if (it == p.vmm_handles.end() || it->second.refs == 0) return CUDA_ERROR_INVALID_VALUE;
  --it->second.refs;  // physical memory goes with the last reference and the last mapping
  p.MaybeFreeVmmHandle(handle);
  return CUDA_SUCCESS;
}

CUresult cuMemRetainAllocationHandle(CUmemGenericAllocationHandle* handle, void* addr) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  const auto va = reinterpret_cast<uint64_t>(addr);
  auto it = p.vmm_mappings.upper_bound(va);
  if (handle == nullptr || it == p.vmm_mappings.begin()) return CUDA_ERROR_INVALID_VALUE;
  --it;
  if (va >= it->first + it->second.size) return CUDA_ERROR_INVALID_VALUE;
  ++p.vmm_handles[it->second.handle].refs;
  *handle = it->second.handle;
  return CUDA_SUCCESS;
}

CUresult cuMemGetAllocationPropertiesFromHandle(CUmemAllocationProp* prop,
                                                CUmemGenericAllocationHandle handle) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  auto it = p.vmm_handles.find(handle);
  if (prop == nullptr || it == p.vmm_handles.end()) return CUDA_ERROR_INVALID_VALUE;
  *prop = it->second.prop;
  return CUDA_SUCCESS;
}

CUresult cuMemAddressReserve(CUdeviceptr* ptr, size_t size, size_t alignment, CUdeviceptr addr,
                             unsigned long long flags) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  bool alignment_ok = alignment == 0 || (alignment & (alignment - 1)) == 0;
  if (ptr == nullptr || size == 0 || size % kGranularity != 0 || !alignment_ok || flags != 0) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  auto start = p.vmm_va.Allocate(size, std::max<uint64_t>(alignment, kGranularity));
  if (!start) return CUDA_ERROR_OUT_OF_MEMORY;
  p.va_reservations[*start] = size;
  *ptr = *start;
  return CUDA_SUCCESS;
}

CUresult cuMemAddressFree(CUdeviceptr ptr, size_t size) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  auto it = p.va_reservations.find(ptr);
  if (it == p.va_reservations.end() || it->second != size) return CUDA_ERROR_INVALID_VALUE;
  auto mapped = p.vmm_mappings.lower_bound(ptr);
  if (mapped != p.vmm_mappings.end() && mapped->first < ptr + size) return CUDA_ERROR_INVALID_VALUE;
  p.vmm_va.Free(ptr, size);
  p.va_reservations.erase(it);
  return CUDA_SUCCESS;
}

CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset, CUmemGenericAllocationHandle handle,
                  unsigned long long flags) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  auto h = p.vmm_handles.find(handle);
  if (h == p.vmm_handles.end() || h->second.refs == 0 || flags != 0 || size == 0 ||
      size % kGranularity != 0 || offset % kGranularity != 0 || offset > h->second.size ||
      size > h->second.size - offset || FindReservation(p, ptr, size) == p.va_reservations.end()) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  auto next = p.vmm_mappings.lower_bound(ptr);
  bool overlaps = (next != p.vmm_mappings.end() && next->first < ptr + size) ||
                  (next != p.vmm_mappings.begin() &&
                   std::prev(next)->first + std::prev(next)->second.size > ptr);
  if (overlaps) return CUDA_ERROR_INVALID_VALUE;
  p.vmm_mappings[ptr] = VmmMapping{size, handle, h->second.device};
  ++h->second.mappings;
  return CUDA_SUCCESS;
}

CUresult cuMemUnmap(CUdeviceptr ptr, size_t size) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  // The range must consist of whole mappings, starting at a mapping.
  uint64_t end = ptr + size;
  auto it = p.vmm_mappings.find(ptr);
  uint64_t cursor = ptr;
  auto scan = it;
  while (scan != p.vmm_mappings.end() && scan->first == cursor && cursor < end) {
    cursor += scan->second.size;
    ++scan;
  }
  if (it == p.vmm_mappings.end() || cursor != end) return CUDA_ERROR_INVALID_VALUE;
  while (it != scan) {
    CUmemGenericAllocationHandle handle = it->second.handle;
    it = p.vmm_mappings.erase(it);
    --p.vmm_handles[handle].mappings;
    p.MaybeFreeVmmHandle(handle);
  }
  return CUDA_SUCCESS;
}

CUresult cuMemSetAccess(CUdeviceptr ptr, size_t size, const CUmemAccessDesc* desc, size_t count) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (desc == nullptr || count == 0 || size == 0 || !p.ValidDeviceRange(ptr, 1)) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  for (size_t i = 0; i < count; ++i) {
    if (desc[i].location.type == CU_MEM_LOCATION_TYPE_DEVICE &&
        !p.ValidDevice(desc[i].location.id)) {
      return CUDA_ERROR_INVALID_DEVICE;
    }
  }
  // Every byte of the range must be mapped.
  for (uint64_t cursor = ptr; cursor < ptr + size;) {
    auto it = p.vmm_mappings.upper_bound(cursor);
    if (it == p.vmm_mappings.begin()) return CUDA_ERROR_INVALID_VALUE;
    --it;
    uint64_t end = it->first + it->second.size;
    if (cursor >= end) return CUDA_ERROR_INVALID_VALUE;
    cursor = end;
  }
  return CUDA_SUCCESS;
}

}  // extern "C"
