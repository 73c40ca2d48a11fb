// Simulated driver entry points: memory pools and the stream-ordered allocator.
//
// A pool's memory is what its live allocations use plus the freed blocks it keeps: up to its
// release threshold (default 0: freed memory returns to the GPU at once); cuMemPoolTrimTo
// releases down to a floor. Both count as the GPU's used memory. A pool destroyed with
// allocations outstanding lives on until they are freed, as with the driver. Sharing pools
// between processes is in cuda_share.cc.
#include <mutex>

#include "gpuapi/cuda_functions.h"
#include "sim/cuda_process.h"
#include "sim/share_record.h"

using hami::sim::Allocation;
using hami::sim::AllocKind;
using hami::sim::ObjKind;
using hami::sim::Pool;
using hami::sim::Process;
using hami::sim::StreamRef;

namespace {

using Lock = std::lock_guard<std::mutex>;

// A live (not destroyed) pool, or nullptr.
Pool* LivePool(Process& p, const void* handle) {
  Pool* pool = p.Find<Pool>(handle, ObjKind::kPool);
  return pool != nullptr && !pool->destroyed ? pool : nullptr;
}

CUresult PoolAllocate(CUdeviceptr* dptr, size_t bytesize, CUmemoryPool pool_handle, CUstream stream,
                      bool per_thread) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  StreamRef ref;
  if (CUresult r = p.ResolveStream(stream, per_thread, &ref); r != CUDA_SUCCESS) return r;
  if (dptr == nullptr || bytesize == 0) return CUDA_ERROR_INVALID_VALUE;
  Pool* pool = pool_handle == nullptr
                   ? (p.current_pool[ref.ctx->device] != nullptr ? p.current_pool[ref.ctx->device]
                                                                 : p.DefaultPool(ref.ctx->device))
                   : LivePool(p, pool_handle);
  if (pool == nullptr || pool->imported) return CUDA_ERROR_INVALID_VALUE;
  AllocKind kind = pool_handle == nullptr ? AllocKind::kAsync : AllocKind::kPool;
  return p.AllocateDevice(pool->device, bytesize, kind, pool, dptr);
}

CUresult PoolFree(CUdeviceptr dptr, CUstream stream, bool per_thread) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  StreamRef ref;
  if (CUresult r = p.ResolveStream(stream, per_thread, &ref); r != CUDA_SUCCESS) return r;
  if (p.FreeGraphAlloc(dptr)) return CUDA_SUCCESS;
  const Allocation* a = p.allocations.FindBase(dptr);
  if (a == nullptr || (a->kind != AllocKind::kAsync && a->kind != AllocKind::kPool &&
                       a->kind != AllocKind::kPoolImport)) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  p.FreeDevice(dptr);
  return CUDA_SUCCESS;
}

}  // namespace

extern "C" {

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
  created->handle_types = props->handleTypes;
  *pool = reinterpret_cast<CUmemoryPool>(p.Add(std::move(created)));
  return CUDA_SUCCESS;
}

CUresult cuMemPoolDestroy(CUmemoryPool handle) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Pool* pool = LivePool(p, handle);
  if (pool == nullptr || pool->is_default) return CUDA_ERROR_INVALID_VALUE;
  for (Pool*& current : p.current_pool) {
    if (current == pool) current = nullptr;
  }
  if (pool->export_fd >= 0) {  // no new importer; pointers imported already stay valid
    hami::sim::RevokeShareFd(pool->export_fd);
    pool->export_fd = -1;
  }
  // Outstanding allocations keep the pool's memory until they are freed.
  pool->destroyed = true;
  p.TrimPool(pool, 0);
  return CUDA_SUCCESS;
}

CUresult cuMemPoolTrimTo(CUmemoryPool handle, size_t min_bytes_to_keep) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Pool* pool = LivePool(p, handle);
  if (pool == nullptr) return CUDA_ERROR_INVALID_VALUE;
  p.TrimPool(pool, min_bytes_to_keep);
  return CUDA_SUCCESS;
}

CUresult cuMemPoolGetAttribute(CUmemoryPool handle, CUmemPool_attribute attr, void* value) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Pool* pool = LivePool(p, handle);
  if (pool == nullptr || value == nullptr) return CUDA_ERROR_INVALID_VALUE;
  auto* u64 = static_cast<cuuint64_t*>(value);
  switch (attr) {
    case CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES:
    case CU_MEMPOOL_ATTR_REUSE_ALLOW_OPPORTUNISTIC:
    case CU_MEMPOOL_ATTR_REUSE_ALLOW_INTERNAL_DEPENDENCIES:
      *static_cast<int*>(value) = pool->reuse[attr - 1];
      return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_RELEASE_THRESHOLD:
      *u64 = pool->release_threshold;
      return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT:
      *u64 = pool->used + pool->cached;
      return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_USED_MEM_CURRENT:
      *u64 = pool->used;
      return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH:
      *u64 = pool->reserved_high;
      return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_USED_MEM_HIGH:
      *u64 = pool->used_high;
      return CUDA_SUCCESS;
  }
  return CUDA_ERROR_INVALID_VALUE;
}

CUresult cuMemPoolSetAttribute(CUmemoryPool handle, CUmemPool_attribute attr, void* value) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Pool* pool = LivePool(p, handle);
  if (pool == nullptr || value == nullptr) return CUDA_ERROR_INVALID_VALUE;
  auto u64 = [value] { return *static_cast<cuuint64_t*>(value); };
  switch (attr) {
    case CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES:
    case CU_MEMPOOL_ATTR_REUSE_ALLOW_OPPORTUNISTIC:
    case CU_MEMPOOL_ATTR_REUSE_ALLOW_INTERNAL_DEPENDENCIES:
      pool->reuse[attr - 1] = *static_cast<int*>(value);
      return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_RELEASE_THRESHOLD:
      pool->release_threshold = u64();
      p.TrimPool(pool, pool->release_threshold);  // the driver trims at the next synchronisation
      return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH:
      if (u64() != 0) return CUDA_ERROR_INVALID_VALUE;  // only a reset to zero is allowed
      pool->reserved_high = pool->used + pool->cached;
      return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_USED_MEM_HIGH:
      if (u64() != 0) return CUDA_ERROR_INVALID_VALUE;
      pool->used_high = pool->used;
      return CUDA_SUCCESS;
    default:
      return CUDA_ERROR_INVALID_VALUE;
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
  Pool* pool = LivePool(p, handle);
  if (pool == nullptr || pool->device != dev || pool->imported) return CUDA_ERROR_INVALID_VALUE;
  p.current_pool[dev] = pool;
  return CUDA_SUCCESS;
}

}  // extern "C"