// Simulated driver entry points: arrays, virtual memory management, memory pools and the
// stream-ordered allocator. Every path that takes device memory charges the shared GPU.
//
// Pools model a release threshold of zero: freed pool memory returns to the GPU at once, so a
// pool's reserved memory equals its used memory.
#include <mutex>

#include "gpuapi/cuda_functions.h"
#include "sim/cuda_process.h"

using hami::sim::Allocation;
using hami::sim::AllocKind;
using hami::sim::Array;
using hami::sim::Context;
using hami::sim::ObjKind;
using hami::sim::Pool;
using hami::sim::Process;
using hami::sim::StreamRef;
using hami::sim::VmmHandle;
using hami::sim::VmmMapping;

namespace {

using Lock = std::lock_guard<std::mutex>;
constexpr uint64_t kGranularity = hami::sim::kLargePage;

int FormatBytes(CUarray_format format) {
  switch (format) {
    case CU_AD_FORMAT_UNSIGNED_INT8:
    case CU_AD_FORMAT_SIGNED_INT8: return 1;
    case CU_AD_FORMAT_UNSIGNED_INT16:
    case CU_AD_FORMAT_SIGNED_INT16:
    case CU_AD_FORMAT_HALF: return 2;
    case CU_AD_FORMAT_UNSIGNED_INT32:
    case CU_AD_FORMAT_SIGNED_INT32:
    case CU_AD_FORMAT_FLOAT: return 4;
  }
  return 0;
}

CUresult CreateArray(CUarray* handle, const CUDA_ARRAY3D_DESCRIPTOR& desc) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Context* ctx = p.Current();
  if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  int element = FormatBytes(desc.Format);
  bool channels_ok = desc.NumChannels == 1 || desc.NumChannels == 2 || desc.NumChannels == 4;
  if (handle == nullptr || desc.Width == 0 || element == 0 || !channels_ok) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  unsigned __int128 bytes = static_cast<unsigned __int128>(desc.Width) * (desc.Height ? desc.Height : 1) *
                            (desc.Depth ? desc.Depth : 1) * element * desc.NumChannels;
  if (bytes > (static_cast<unsigned __int128>(1) << 50)) return CUDA_ERROR_INVALID_VALUE;
  uint64_t charge = hami::sim::PhysicalCharge(static_cast<uint64_t>(bytes));
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
  if (prop == nullptr || prop->type != CU_MEM_ALLOCATION_TYPE_PINNED) return CUDA_ERROR_INVALID_VALUE;
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

CUresult PoolAllocate(CUdeviceptr* dptr, size_t bytesize, CUmemoryPool pool_handle,
                      CUstream stream, bool per_thread) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  StreamRef ref;
  if (CUresult r = p.ResolveStream(stream, per_thread, &ref); r != CUDA_SUCCESS) return r;
  if (dptr == nullptr || bytesize == 0) return CUDA_ERROR_INVALID_VALUE;
  Pool* pool = pool_handle == nullptr
                   ? (p.current_pool[ref.ctx->device] != nullptr ? p.current_pool[ref.ctx->device]
                                                                 : p.DefaultPool(ref.ctx->device))
                   : p.Find<Pool>(pool_handle, ObjKind::kPool);
  if (pool == nullptr) return CUDA_ERROR_INVALID_VALUE;
  AllocKind kind = pool_handle == nullptr ? AllocKind::kAsync : AllocKind::kPool;
  if (CUresult r = p.AllocateDevice(pool->device, bytesize, kind, pool, dptr); r != CUDA_SUCCESS) {
    return r;
  }
  pool->used += p.allocations.FindBase(*dptr)->reserved;
  pool->used_high = std::max(pool->used_high, pool->used);
  return CUDA_SUCCESS;
}

CUresult PoolFree(CUdeviceptr dptr, CUstream stream, bool per_thread) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  StreamRef ref;
  if (CUresult r = p.ResolveStream(stream, per_thread, &ref); r != CUDA_SUCCESS) return r;
  const Allocation* a = p.allocations.FindBase(dptr);
  if (a == nullptr || (a->kind != AllocKind::kAsync && a->kind != AllocKind::kPool)) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  p.FreeDevice(dptr);
  return CUDA_SUCCESS;
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
  if (it == p.vmm_handles.end() || it->second.released) return CUDA_ERROR_INVALID_VALUE;
  it->second.released = true;  // physical memory goes once the last mapping is gone
  p.MaybeFreeVmmHandle(handle);
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

CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset,
                  CUmemGenericAllocationHandle handle, unsigned long long flags) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  auto h = p.vmm_handles.find(handle);
  if (h == p.vmm_handles.end() || h->second.released || flags != 0 || size == 0 ||
      size % kGranularity != 0 || offset % kGranularity != 0 || offset > h->second.size ||
      size > h->second.size - offset ||
      FindReservation(p, ptr, size) == p.va_reservations.end()) {
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

CUresult cuMemAllocAsync(CUdeviceptr* dptr, size_t bytesize, CUstream stream) {
  return PoolAllocate(dptr, bytesize, nullptr, stream, false);
}
CUresult cuMemAllocAsync_ptsz(CUdeviceptr* dptr, size_t bytesize, CUstream stream) {
  return PoolAllocate(dptr, bytesize, nullptr, stream, true);
}
CUresult cuMemAllocFromPoolAsync(CUdeviceptr* dptr, size_t bytesize, CUmemoryPool pool,
                                 CUstream stream) {
  if (pool == nullptr) return CUDA_ERROR_INVALID_VALUE;
  return PoolAllocate(dptr, bytesize, pool, stream, false);
}
CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr* dptr, size_t bytesize, CUmemoryPool pool,
                                      CUstream stream) {
  if (pool == nullptr) return CUDA_ERROR_INVALID_VALUE;
  return PoolAllocate(dptr, bytesize, pool, stream, true);
}
CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream stream) { return PoolFree(dptr, stream, false); }
CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream stream) {
  return PoolFree(dptr, stream, true);
}

CUresult cuMemPoolCreate(CUmemoryPool* pool, const CUmemPoolProps* props) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (pool == nullptr || props == nullptr || props->allocType != CU_MEM_ALLOCATION_TYPE_PINNED ||
      props->location.type != CU_MEM_LOCATION_TYPE_DEVICE) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  if (!p.ValidDevice(props->location.id)) return CUDA_ERROR_INVALID_DEVICE;
  auto created = std::make_unique<Pool>();
  created->device = props->location.id;
  *pool = reinterpret_cast<CUmemoryPool>(p.Add(std::move(created)));
  return CUDA_SUCCESS;
}

CUresult cuMemPoolDestroy(CUmemoryPool handle) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Pool* pool = p.Find<Pool>(handle, ObjKind::kPool);
  if (pool == nullptr || pool->is_default) return CUDA_ERROR_INVALID_VALUE;
  std::vector<uint64_t> bases;  // outstanding allocations are released with the pool
  p.allocations.ForEach([&](const Allocation& a) {
    if (a.owner == pool) bases.push_back(a.base);
  });
  for (uint64_t base : bases) p.FreeDevice(base);
  for (Pool*& current : p.current_pool) {
    if (current == pool) current = nullptr;
  }
  p.Remove(pool);
  return CUDA_SUCCESS;
}

CUresult cuMemPoolTrimTo(CUmemoryPool handle, size_t min_bytes_to_keep) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  return p.Find<Pool>(handle, ObjKind::kPool) != nullptr ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CUresult cuMemPoolGetAttribute(CUmemoryPool handle, CUmemPool_attribute attr, void* value) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Pool* pool = p.Find<Pool>(handle, ObjKind::kPool);
  if (pool == nullptr || value == nullptr) return CUDA_ERROR_INVALID_VALUE;
  auto* u64 = static_cast<cuuint64_t*>(value);
  switch (attr) {
    case CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES:
    case CU_MEMPOOL_ATTR_REUSE_ALLOW_OPPORTUNISTIC:
    case CU_MEMPOOL_ATTR_REUSE_ALLOW_INTERNAL_DEPENDENCIES:
      *static_cast<int*>(value) = pool->reuse[attr - 1];
      return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_RELEASE_THRESHOLD: *u64 = pool->release_threshold; return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT:
    case CU_MEMPOOL_ATTR_USED_MEM_CURRENT: *u64 = pool->used; return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH:
    case CU_MEMPOOL_ATTR_USED_MEM_HIGH: *u64 = pool->used_high; return CUDA_SUCCESS;
  }
  return CUDA_ERROR_INVALID_VALUE;
}

CUresult cuMemPoolSetAttribute(CUmemoryPool handle, CUmemPool_attribute attr, void* value) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Pool* pool = p.Find<Pool>(handle, ObjKind::kPool);
  if (pool == nullptr || value == nullptr) return CUDA_ERROR_INVALID_VALUE;
  auto u64 = [value] { return *static_cast<cuuint64_t*>(value); };
  switch (attr) {
    case CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES:
    case CU_MEMPOOL_ATTR_REUSE_ALLOW_OPPORTUNISTIC:
    case CU_MEMPOOL_ATTR_REUSE_ALLOW_INTERNAL_DEPENDENCIES:
      pool->reuse[attr - 1] = *static_cast<int*>(value);
      return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_RELEASE_THRESHOLD: pool->release_threshold = u64(); return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH:
    case CU_MEMPOOL_ATTR_USED_MEM_HIGH:
      if (u64() != 0) return CUDA_ERROR_INVALID_VALUE;  // only a reset to zero is allowed
      pool->used_high = pool->used;
      return CUDA_SUCCESS;
    default: return CUDA_ERROR_INVALID_VALUE;
  }
}

CUresult cuDeviceGetDefaultMemPool(CUmemoryPool* pool, CUdevice dev) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (!p.ValidDevice(dev)) return CUDA_ERROR_INVALID_DEVICE;
  if (pool == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *pool = reinterpret_cast<CUmemoryPool>(p.DefaultPool(dev));
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetMemPool(CUmemoryPool* pool, CUdevice dev) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (!p.ValidDevice(dev)) return CUDA_ERROR_INVALID_DEVICE;
  if (pool == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Pool* current = p.current_pool[dev] != nullptr ? p.current_pool[dev] : p.DefaultPool(dev);
  *pool = reinterpret_cast<CUmemoryPool>(current);
  return CUDA_SUCCESS;
}

CUresult cuDeviceSetMemPool(CUdevice dev, CUmemoryPool handle) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (!p.ValidDevice(dev)) return CUDA_ERROR_INVALID_DEVICE;
  Pool* pool = p.Find<Pool>(handle, ObjKind::kPool);
  if (pool == nullptr || pool->device != dev) return CUDA_ERROR_INVALID_VALUE;
  p.current_pool[dev] = pool;
  return CUDA_SUCCESS;
}

}  // extern "C"
