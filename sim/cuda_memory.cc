// Simulated driver entry points: device and host memory, pointer queries, copies and memsets.
//
// Device contents are not stored: copies and memsets validate their ranges and are ordered like
// the driver's (synchronous ones wait for the context's queued work), but read back nothing.
#include <bit>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "gpuapi/cuda_functions.h"
#include "sim/cuda_process.h"

using hami::sim::Allocation;
using hami::sim::AllocKind;
using hami::sim::Context;
using hami::sim::Process;
using hami::sim::StreamRef;

namespace {

using Lock = std::lock_guard<std::mutex>;

constexpr uint64_t kPitchAlignment = 512;

CUresult ReadyWithContext(Process& p, Context** ctx) {
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  *ctx = p.Current();
  return *ctx == nullptr ? CUDA_ERROR_INVALID_CONTEXT : CUDA_SUCCESS;
}

CUresult Allocate(CUdeviceptr* dptr, size_t bytes, AllocKind kind) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  Context* ctx = nullptr;
  if (CUresult r = ReadyWithContext(p, &ctx); r != CUDA_SUCCESS) return r;
  if (dptr == nullptr || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
  return p.AllocateDevice(ctx->device, bytes, kind, ctx, dptr);
}

// Host range [p, p + n) inside a pinned allocation or registration in `ranges`.
bool InHostRanges(const std::map<uintptr_t, size_t>& ranges, uintptr_t p, size_t n) {
  auto it = ranges.upper_bound(p);
  if (it == ranges.begin()) return false;
  --it;
  return p - it->first < it->second && n <= it->second - (p - it->first);
}

// A copy endpoint: device window addresses must be live device memory; others are host memory.
bool ValidEndpoint(const Process& p, uint64_t address, size_t bytes) {
  if (Process::InDeviceWindow(address)) return p.ValidDeviceRange(address, bytes);
  return address != 0;
}

// Synchronous copy or memset: validates, then waits for the context's queued work.
CUresult SyncTransfer(uint64_t dst, uint64_t src, size_t bytes, bool src_is_host,
                      bool dst_is_host) {
  int64_t until = 0;
  {
    Process& p = Process::Get();
    Lock lock(p.mu);
    Context* ctx = nullptr;
    if (CUresult r = ReadyWithContext(p, &ctx); r != CUDA_SUCCESS) return r;
    if (bytes == 0) return CUDA_SUCCESS;
    bool dst_ok = dst_is_host ? dst != 0 : ValidEndpoint(p, dst, bytes);
    bool src_ok = src_is_host ? src != 0 : ValidEndpoint(p, src, bytes);
    if (!dst_ok || !src_ok) return CUDA_ERROR_INVALID_VALUE;
    until = ctx->last_end_ns;
  }
  hami::sim::WaitUntil(until);
  return CUDA_SUCCESS;
}

// Stream-ordered copy or memset: validates endpoints and the stream; the work takes no time.
CUresult AsyncTransfer(uint64_t dst, uint64_t src, size_t bytes, CUstream stream, bool per_thread,
                       bool src_is_host, bool dst_is_host) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  StreamRef ref;
  if (CUresult r = p.ResolveStream(stream, per_thread, &ref); r != CUDA_SUCCESS) return r;
  if (bytes == 0) return CUDA_SUCCESS;
  bool dst_ok = dst_is_host ? dst != 0 : ValidEndpoint(p, dst, bytes);
  bool src_ok = src_is_host ? src != 0 : ValidEndpoint(p, src, bytes);
  return dst_ok && src_ok ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

uint64_t H(const void* p) { return reinterpret_cast<uint64_t>(p); }

size_t AttributeSize(CUpointer_attribute attribute) {
  switch (attribute) {
    case CU_POINTER_ATTRIBUTE_MEMORY_TYPE:
    case CU_POINTER_ATTRIBUTE_IS_MANAGED:
    case CU_POINTER_ATTRIBUTE_SYNC_MEMOPS:
    case CU_POINTER_ATTRIBUTE_MAPPED:
      return sizeof(unsigned int);
    case CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL:
      return sizeof(int);
    default:
      return sizeof(void*);
  }
}

// One attribute of a live pointer; CUDA_ERROR_INVALID_VALUE for unknown pointers/attributes.
CUresult PointerAttribute(Process& p, void* data, CUpointer_attribute attribute, CUdeviceptr ptr) {
  const Allocation* a = p.allocations.FindContaining(ptr);
  uint64_t base = 0, size = 0;
  int device = 0;
  unsigned type = 0;
  bool managed = false;
  const void* owner = nullptr;
  if (a != nullptr) {
    base = a->base;
    size = a->size;
    device = a->device;
    type = a->kind == AllocKind::kManaged ? CU_MEMORYTYPE_UNIFIED : CU_MEMORYTYPE_DEVICE;
    managed = a->kind == AllocKind::kManaged;
    owner = a->owner;
  } else if (auto it = p.vmm_mappings.upper_bound(ptr);
             it != p.vmm_mappings.begin() &&
             ptr < std::prev(it)->first + std::prev(it)->second.size) {
    --it;
    base = it->first;
    size = it->second.size;
    device = it->second.device;
    type = CU_MEMORYTYPE_DEVICE;
  } else if (InHostRanges(p.host_allocs, ptr, 1) || InHostRanges(p.host_registered, ptr, 1)) {
    const auto& ranges = InHostRanges(p.host_allocs, ptr, 1) ? p.host_allocs : p.host_registered;
    auto it = std::prev(ranges.upper_bound(ptr));
    base = it->first;
    size = it->second;
    type = CU_MEMORYTYPE_HOST;
  } else {
    return CUDA_ERROR_INVALID_VALUE;
  }
  const Context* ctx =
      owner != nullptr ? p.Find<Context>(owner, hami::sim::ObjKind::kContext) : nullptr;
  switch (attribute) {
    case CU_POINTER_ATTRIBUTE_CONTEXT:
      *static_cast<CUcontext*>(data) = reinterpret_cast<CUcontext>(const_cast<Context*>(ctx));
      return CUDA_SUCCESS;
    case CU_POINTER_ATTRIBUTE_MEMORY_TYPE:
      *static_cast<unsigned*>(data) = type;
      return CUDA_SUCCESS;
    case CU_POINTER_ATTRIBUTE_DEVICE_POINTER:
      *static_cast<CUdeviceptr*>(data) = ptr;
      return CUDA_SUCCESS;
    case CU_POINTER_ATTRIBUTE_HOST_POINTER:
      if (type == CU_MEMORYTYPE_DEVICE) return CUDA_ERROR_INVALID_VALUE;
      *static_cast<void**>(data) = std::bit_cast<void*>(ptr);
      return CUDA_SUCCESS;
    case CU_POINTER_ATTRIBUTE_IS_MANAGED:
      *static_cast<unsigned*>(data) = managed;
      return CUDA_SUCCESS;
    case CU_POINTER_ATTRIBUTE_SYNC_MEMOPS:
      *static_cast<unsigned*>(data) = 0;
      return CUDA_SUCCESS;
    case CU_POINTER_ATTRIBUTE_MAPPED:
      *static_cast<unsigned*>(data) = 1;
      return CUDA_SUCCESS;
    case CU_POINTER_ATTRIBUTE_BUFFER_ID:
      *static_cast<unsigned long long*>(data) = base;
      return CUDA_SUCCESS;
    case CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL:
      *static_cast<int*>(data) = device;
      return CUDA_SUCCESS;
    case CU_POINTER_ATTRIBUTE_RANGE_START_ADDR:
      *static_cast<CUdeviceptr*>(data) = base;
      return CUDA_SUCCESS;
    case CU_POINTER_ATTRIBUTE_RANGE_SIZE:
      *static_cast<size_t*>(data) = size;
      return CUDA_SUCCESS;
    default:
      return CUDA_ERROR_INVALID_VALUE;
  }
}

}  // namespace

extern "C" {

CUresult cuMemGetInfo_v2(size_t* free, size_t* total) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  Context* ctx = nullptr;
  if (CUresult r = ReadyWithContext(p, &ctx); r != CUDA_SUCCESS) return r;
  if (free == nullptr || total == nullptr) return CUDA_ERROR_INVALID_VALUE;
  p.ReclaimDeadPeriodically();  // the driver frees a killed process's memory at once
  uint64_t capacity = p.TotalBytes(ctx->device);
  uint64_t used = std::min(p.UsedBytes(ctx->device), capacity);
  *total = capacity;
  *free = capacity - used;
  return CUDA_SUCCESS;
}

CUresult cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytesize) {
  return Allocate(dptr, bytesize, AllocKind::kDevice);
}

CUresult cuMemAllocManaged(CUdeviceptr* dptr, size_t bytesize, unsigned int flags) {
  if (flags != CU_MEM_ATTACH_GLOBAL && flags != CU_MEM_ATTACH_HOST) return CUDA_ERROR_INVALID_VALUE;
  return Allocate(dptr, bytesize, AllocKind::kManaged);
}

// Advice is validated as the driver does (a managed range, a known advice, the host or a visible
// device) and otherwise has no effect: managed memory never migrates to the simulated GPU.
CUresult cuMemAdvise(CUdeviceptr dptr, size_t count, CUmem_advise advice, CUdevice device) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  // A caller may pass any int; reading it as the enum would be undefined, so read its bits.
  int raw_advice = 0;
  static_assert(sizeof raw_advice == sizeof advice);
  std::memcpy(&raw_advice, &advice, sizeof raw_advice);
  const Allocation* a = p.allocations.FindContaining(dptr);
  if (count == 0 || a == nullptr || a->kind != AllocKind::kManaged ||
      count > a->base + a->size - dptr || raw_advice < CU_MEM_ADVISE_SET_READ_MOSTLY ||
      raw_advice > CU_MEM_ADVISE_UNSET_ACCESSED_BY) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  const bool names_device =
      raw_advice != CU_MEM_ADVISE_SET_READ_MOSTLY && raw_advice != CU_MEM_ADVISE_UNSET_READ_MOSTLY;
  if (names_device && device != CU_DEVICE_CPU && !p.ValidDevice(device)) {
    return CUDA_ERROR_INVALID_DEVICE;
  }
  return CUDA_SUCCESS;
}

CUresult cuMemAllocPitch_v2(CUdeviceptr* dptr, size_t* pitch, size_t width_in_bytes, size_t height,
                            unsigned int element_size_bytes) {
  if (element_size_bytes != 4 && element_size_bytes != 8 && element_size_bytes != 16) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  if (pitch == nullptr || width_in_bytes == 0 || height == 0) return CUDA_ERROR_INVALID_VALUE;
  uint64_t row = hami::sim::RoundUp(width_in_bytes, kPitchAlignment);
  if (height > UINT64_MAX / row) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = Allocate(dptr, row * height, AllocKind::kPitch);
  if (r == CUDA_SUCCESS) *pitch = row;
  return r;
}

CUresult cuMemFree_v2(CUdeviceptr dptr) {
  int64_t until = 0;
  {
    Process& p = Process::Get();
    Lock lock(p.mu);
    if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
    if (dptr == 0) return CUDA_SUCCESS;
    if (p.FreeGraphAlloc(dptr)) return CUDA_SUCCESS;
    const Allocation* a = p.allocations.FindBase(dptr);
    if (a == nullptr || a->kind == AllocKind::kIpc) return CUDA_ERROR_INVALID_VALUE;
    if (const Context* ctx = p.Find<Context>(a->owner, hami::sim::ObjKind::kContext)) {
      until = ctx->last_end_ns;  // the driver synchronizes before releasing memory
    }
    p.FreeDevice(dptr);
  }
  hami::sim::WaitUntil(until);
  return CUDA_SUCCESS;
}

CUresult cuMemGetAddressRange_v2(CUdeviceptr* pbase, size_t* psize, CUdeviceptr dptr) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  uint64_t base = 0;
  size_t size = 0;
  CUresult r = PointerAttribute(p, &base, CU_POINTER_ATTRIBUTE_RANGE_START_ADDR, dptr);
  if (r == CUDA_SUCCESS) r = PointerAttribute(p, &size, CU_POINTER_ATTRIBUTE_RANGE_SIZE, dptr);
  if (r != CUDA_SUCCESS || !Process::InDeviceWindow(dptr)) return CUDA_ERROR_NOT_FOUND;
  if (pbase != nullptr) *pbase = base;
  if (psize != nullptr) *psize = size;
  return CUDA_SUCCESS;
}

CUresult cuPointerGetAttribute(void* data, CUpointer_attribute attribute, CUdeviceptr ptr) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (data == nullptr) return CUDA_ERROR_INVALID_VALUE;
  return PointerAttribute(p, data, attribute, ptr);
}

CUresult cuPointerGetAttributes(unsigned int num_attributes, CUpointer_attribute* attributes,
                                void** data, CUdeviceptr ptr) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (num_attributes == 0 || attributes == nullptr || data == nullptr) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  // Unlike cuPointerGetAttribute, unknown pointers read as zeros with CUDA_SUCCESS.
  for (unsigned i = 0; i < num_attributes; ++i) {
    if (data[i] == nullptr) continue;
    if (PointerAttribute(p, data[i], attributes[i], ptr) != CUDA_SUCCESS) {
      std::memset(data[i], 0, AttributeSize(attributes[i]));
      if (attributes[i] == CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL) *static_cast<int*>(data[i]) = -2;
    }
  }
  return CUDA_SUCCESS;
}

CUresult cuMemHostAlloc(void** pp, size_t bytesize, unsigned int flags) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (pp == nullptr || bytesize == 0 ||
      (flags & ~(CU_MEMHOSTALLOC_PORTABLE | CU_MEMHOSTALLOC_DEVICEMAP |
                 CU_MEMHOSTALLOC_WRITECOMBINED)) != 0) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  void* mem = nullptr;
  if (posix_memalign(&mem, 4096, bytesize) != 0) return CUDA_ERROR_OUT_OF_MEMORY;
  p.host_allocs[reinterpret_cast<uintptr_t>(mem)] = bytesize;
  *pp = mem;
  return CUDA_SUCCESS;
}

CUresult cuMemAllocHost_v2(void** pp, size_t bytesize) { return cuMemHostAlloc(pp, bytesize, 0); }

CUresult cuMemFreeHost(void* ptr) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  auto it = p.host_allocs.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == p.host_allocs.end()) return CUDA_ERROR_INVALID_VALUE;
  p.host_allocs.erase(it);
  std::free(ptr);
  return CUDA_SUCCESS;
}

CUresult cuMemHostRegister_v2(void* ptr, size_t bytesize, unsigned int flags) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (ptr == nullptr || bytesize == 0 || flags > 0xF) return CUDA_ERROR_INVALID_VALUE;
  uintptr_t start = reinterpret_cast<uintptr_t>(ptr);
  auto next = p.host_registered.lower_bound(start);
  bool overlaps = (next != p.host_registered.end() && next->first < start + bytesize) ||
                  InHostRanges(p.host_registered, start, 1);
  if (overlaps) return CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED;
  p.host_registered[start] = bytesize;
  return CUDA_SUCCESS;
}

CUresult cuMemHostUnregister(void* ptr) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (p.host_registered.erase(reinterpret_cast<uintptr_t>(ptr)) == 0) {
    return CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED;
  }
  return CUDA_SUCCESS;
}

CUresult cuMemHostGetDevicePointer_v2(CUdeviceptr* pdptr, void* ptr, unsigned int flags) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  uintptr_t address = reinterpret_cast<uintptr_t>(ptr);
  if (pdptr == nullptr || flags != 0 ||
      (!InHostRanges(p.host_allocs, address, 1) && !InHostRanges(p.host_registered, address, 1))) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  *pdptr = address;  // unified addressing: the host address is the device address
  return CUDA_SUCCESS;
}

CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t n) {
  return SyncTransfer(dst, src, n, false, false);
}
CUresult cuMemcpy_ptds(CUdeviceptr dst, CUdeviceptr src, size_t n) { return cuMemcpy(dst, src, n); }
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t n) {
  return SyncTransfer(dst, H(src), n, true, false);
}
CUresult cuMemcpyHtoD_v2_ptds(CUdeviceptr dst, const void* src, size_t n) {
  return cuMemcpyHtoD_v2(dst, src, n);
}
CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t n) {
  return SyncTransfer(H(dst), src, n, false, true);
}
CUresult cuMemcpyDtoH_v2_ptds(void* dst, CUdeviceptr src, size_t n) {
  return cuMemcpyDtoH_v2(dst, src, n);
}
CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) {
  if (!Process::InDeviceWindow(dst) || !Process::InDeviceWindow(src))
    return CUDA_ERROR_INVALID_VALUE;
  return SyncTransfer(dst, src, n, false, false);
}
CUresult cuMemcpyDtoD_v2_ptds(CUdeviceptr dst, CUdeviceptr src, size_t n) {
  return cuMemcpyDtoD_v2(dst, src, n);
}
CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream stream) {
  return AsyncTransfer(dst, src, n, stream, false, false, false);
}
CUresult cuMemcpyAsync_ptsz(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream stream) {
  return AsyncTransfer(dst, src, n, stream, true, false, false);
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t n, CUstream stream) {
  return AsyncTransfer(dst, H(src), n, stream, false, true, false);
}
CUresult cuMemcpyHtoDAsync_v2_ptsz(CUdeviceptr dst, const void* src, size_t n, CUstream stream) {
  return AsyncTransfer(dst, H(src), n, stream, true, true, false);
}
CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t n, CUstream stream) {
  return AsyncTransfer(H(dst), src, n, stream, false, false, true);
}
CUresult cuMemcpyDtoHAsync_v2_ptsz(void* dst, CUdeviceptr src, size_t n, CUstream stream) {
  return AsyncTransfer(H(dst), src, n, stream, true, false, true);
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream stream) {
  return AsyncTransfer(dst, src, n, stream, false, false, false);
}
CUresult cuMemcpyDtoDAsync_v2_ptsz(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream stream) {
  return AsyncTransfer(dst, src, n, stream, true, false, false);
}
CUresult cuMemsetD8_v2(CUdeviceptr dst, unsigned char value, size_t n) {
  if (!Process::InDeviceWindow(dst)) return CUDA_ERROR_INVALID_VALUE;
  return SyncTransfer(dst, 1, n, true, false);
}
CUresult cuMemsetD8_v2_ptds(CUdeviceptr dst, unsigned char value, size_t n) {
  return cuMemsetD8_v2(dst, value, n);
}
CUresult cuMemsetD32_v2(CUdeviceptr dst, unsigned int value, size_t n) {
  if (!Process::InDeviceWindow(dst) || dst % 4 != 0 || n > SIZE_MAX / 4) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  return SyncTransfer(dst, 1, n * 4, true, false);
}
CUresult cuMemsetD32_v2_ptds(CUdeviceptr dst, unsigned int value, size_t n) {
  return cuMemsetD32_v2(dst, value, n);
}
CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t n, CUstream stream) {
  if (!Process::InDeviceWindow(dst)) return CUDA_ERROR_INVALID_VALUE;
  return AsyncTransfer(dst, 1, n, stream, false, true, false);
}
CUresult cuMemsetD8Async_ptsz(CUdeviceptr dst, unsigned char value, size_t n, CUstream stream) {
  if (!Process::InDeviceWindow(dst)) return CUDA_ERROR_INVALID_VALUE;
  return AsyncTransfer(dst, 1, n, stream, true, true, false);
}
CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value, size_t n, CUstream stream) {
  if (!Process::InDeviceWindow(dst) || dst % 4 != 0 || n > SIZE_MAX / 4) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  return AsyncTransfer(dst, 1, n * 4, stream, false, true, false);
}
CUresult cuMemsetD32Async_ptsz(CUdeviceptr dst, unsigned int value, size_t n, CUstream stream) {
  if (!Process::InDeviceWindow(dst) || dst % 4 != 0 || n > SIZE_MAX / 4) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  return AsyncTransfer(dst, 1, n * 4, stream, true, true, false);
}

}  // extern "C"
