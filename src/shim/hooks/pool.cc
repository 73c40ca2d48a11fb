// Pool hooks: memory pools and the stream-ordered allocator, and the frees every pointer path
// shares. A pool is charged what the driver says it reserves (limit/pool_ledger.h), on the device
// its memory lives on — the pool's, or for cuMemAllocAsync the stream's device's current pool —
// whatever the current context is. An allocation the pool has no room for spills to host memory
// when the device oversubscribes (hook_util.h); it is then no pool's and is freed synchronously.
// WIRE: driver ABI names.
#include <bit>

#include "shim/hooks/hook_util.h"

using hami::shim::AccountedAlloc;
using hami::shim::AccountedFree;
using hami::shim::AllocTable;
using hami::shim::CurrentDevice;
using hami::shim::PoolLedger;
using hami::shim::Runtime;
using hami::shim::SpillAlloc;
using hami::shim::UsageKind;
using hami::shim::limit::DeviceFootprint;

namespace {

constexpr int kHostPool = -2;  // a pool of host memory: nothing to charge

uint64_t Key(CUmemoryPool pool) { return reinterpret_cast<uint64_t>(pool); }
CUmemoryPool Pool(uint64_t key) { return std::bit_cast<CUmemoryPool>(key); }

// CUDA ordinal of a stream's device: the current context's for the NULL, legacy and per-thread
// streams, else that of the stream's context.
int StreamDevice(CUstream stream) {
  const auto h = reinterpret_cast<uintptr_t>(stream);
  auto get_ctx = CU_REAL(cuStreamGetCtx);
  auto push = CU_REAL(cuCtxPushCurrent_v2);
  auto pop = CU_REAL(cuCtxPopCurrent_v2);
  CUcontext ctx = nullptr;
  if (h <= 2 || get_ctx == nullptr || push == nullptr || pop == nullptr ||
      get_ctx(stream, &ctx) != CUDA_SUCCESS || push(ctx) != CUDA_SUCCESS) {
    return CurrentDevice();
  }
  const int dev = CurrentDevice();
  pop(&ctx);
  return dev;
}

// The device a pointer lives on per the driver, or -1.
int PointerDevice(CUdeviceptr ptr) {
  auto fn = CU_REAL(cuPointerGetAttribute);
  int dev = -1;
  if (fn == nullptr || fn(&dev, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, ptr) != CUDA_SUCCESS) {
    return -1;
  }
  return dev;
}

// Caller holds the ledger's mutex. Brings the pool's charge to what the driver reserves for it;
// false (charge unchanged) when that needs more than the limit allows.
bool Settle(Runtime& rt, uint64_t key, PoolLedger::Pool& p) {
  auto get = CU_REAL(cuMemPoolGetAttribute);
  cuuint64_t target = 0;
  if (p.dev < 0 || get == nullptr ||
      get(Pool(key), CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT, &target) != CUDA_SUCCESS) {
    return true;  // unknown: keep what is charged
  }
  if (target > p.charged && !rt.Reserve(p.dev, target - p.charged, UsageKind::kData)) {
    return false;
  }
  if (target < p.charged) rt.Unreserve(p.dev, p.charged - target, UsageKind::kData);
  p.charged = target;
  return true;
}

// Caller holds the ledger's mutex: pools may have released memory since (synchronisation).
void SettleAll(Runtime& rt) {
  for (uint64_t key : rt.pools().LivePools()) Settle(rt, key, *rt.pools().Find(key));
}

// Allocates from `pool` (device `guess` when the ledger does not know it): pre-charges the
// footprint, lets the driver allocate, then settles the pool on what it really reserves.
template <typename Call, typename FreeNow>
CUresult PoolAlloc(CUdeviceptr* dptr, size_t bytes, uint64_t key, int guess, Call&& call,
                   FreeNow&& free_now) {
  Runtime& rt = Runtime::Get();
  PoolLedger& ledger = rt.pools();
  std::lock_guard<std::mutex> lock(ledger.mu());
  PoolLedger::Pool* known = ledger.Find(key);
  if (known != nullptr && known->dev == kHostPool) return call();
  int dev = known != nullptr ? known->dev : guess;
  if (dev < 0) return rt.MayRunUnaccounted() ? call() : CUDA_ERROR_INVALID_CONTEXT;
  const uint64_t charge = DeviceFootprint(bytes);
  if (!rt.Reserve(dev, charge, UsageKind::kData)) {
    SettleAll(rt);
    if (!rt.Reserve(dev, charge, UsageKind::kData)) return CUDA_ERROR_OUT_OF_MEMORY;
  }
  const CUresult r = call();
  if (r == CUDA_ERROR_OUT_OF_MEMORY && rt.Oversubscribes(dev) &&
      SpillAlloc(dev, bytes, dptr) == CUDA_SUCCESS) {
    rt.allocs().Insert(*dptr, AllocTable::Entry{charge, dev, static_cast<int32_t>(UsageKind::kData),
                                                hami::shim::CurrentContextKey(), 0, true});
    return CUDA_SUCCESS;
  }
  if (r != CUDA_SUCCESS) {
    rt.Unreserve(dev, charge, UsageKind::kData);
    return r;
  }
  if (known == nullptr) {  // a pool never seen: trust where the driver put the memory
    const int actual = PointerDevice(*dptr);
    if (actual >= 0 && actual != dev) {
      const bool moved = rt.Reserve(actual, charge, UsageKind::kData);
      rt.Unreserve(dev, charge, UsageKind::kData);
      if (!moved) {
        free_now(*dptr);
        return CUDA_ERROR_OUT_OF_MEMORY;
      }
      dev = actual;
    }
  }
  PoolLedger::Pool& p = ledger.Learn(key, dev);
  p.charged += charge;
  rt.allocs().Insert(
      *dptr, AllocTable::Entry{charge, dev, static_cast<int32_t>(UsageKind::kData), 0, key});
  if (!Settle(rt, key, p)) {  // the pool grew by more than the limit allows
    AllocTable::Entry e;
    rt.allocs().Take(*dptr, &e);
    free_now(*dptr);
    Settle(rt, key, p);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  return r;
}

// Frees a pointer: pool pointers settle their pool, others return what they were charged.
template <typename Call>
CUresult FreePointer(CUdeviceptr dptr, Call&& call) {
  Runtime& rt = Runtime::Get();
  AllocTable::Entry e;
  if (!rt.allocs().Find(dptr, &e) || e.pool == 0) return AccountedFree(rt.allocs(), dptr, call);
  PoolLedger& ledger = rt.pools();
  std::lock_guard<std::mutex> lock(ledger.mu());
  const CUresult r = call();
  if (r != CUDA_SUCCESS || !rt.allocs().Take(dptr, &e)) return r;
  PoolLedger::Pool* p = ledger.Find(e.pool);
  if (p == nullptr) {
    rt.Unreserve(e.dev, e.bytes, UsageKind::kData);
  } else if (p->destroyed) {  // only outstanding allocations keep a destroyed pool charged
    const uint64_t back = std::min(e.bytes, p->charged);
    p->charged -= back;
    rt.Unreserve(p->dev, back, UsageKind::kData);
    if (p->charged == 0) ledger.Forget(e.pool);
  } else {
    Settle(rt, e.pool, *p);
  }
  return r;
}

// Frees a spilled pointer handed to cuMemFreeAsync: managed memory is no pool's, so the stream's
// work is waited for and the memory freed at once (under stream capture the wait fails and the
// pointer stays allocated and charged).
CUresult FreeSpilled(CUdeviceptr dptr, CUstream stream) {
  auto sync = CU_REAL(cuStreamSynchronize);
  auto free_fn = CU_REAL(cuMemFree_v2);
  if (sync == nullptr || free_fn == nullptr) return CUDA_ERROR_NOT_SUPPORTED;
  const CUresult r = sync(stream);
  return r != CUDA_SUCCESS ? r : free_fn(dptr);
}

void LearnPool(CUmemoryPool pool, int dev) {
  PoolLedger& ledger = Runtime::Get().pools();
  std::lock_guard<std::mutex> lock(ledger.mu());
  ledger.Learn(Key(pool), dev);
}

}  // namespace

extern "C" {

CUresult cuMemFree_v2(CUdeviceptr dptr) {
  HAMI_REAL_OR_FAIL(cuMemFree_v2);
  if (dptr == 0) return real(dptr);
  return FreePointer(dptr, [&] { return real(dptr); });
}

#define HAMI_ASYNC_ALLOC(sym)                                                                    \
  CUresult sym(CUdeviceptr* dptr, size_t bytesize, CUstream stream) {                            \
    HAMI_REAL_OR_FAIL(sym);                                                                      \
    if (dptr == nullptr || bytesize == 0) return real(dptr, bytesize, stream);                   \
    const int dev = StreamDevice(stream);                                                        \
    auto current = CU_REAL(cuDeviceGetMemPool);                                                  \
    CUmemoryPool pool = nullptr;                                                                 \
    auto call = [&] { return real(dptr, bytesize, stream); };                                    \
    if (dev < 0 || current == nullptr || current(&pool, dev) != CUDA_SUCCESS) {                  \
      return AccountedAlloc(Runtime::Get().allocs(), dev, DeviceFootprint(bytesize), call, dptr, \
                            [&] { return SpillAlloc(dev, bytesize, dptr); });                    \
    }                                                                                            \
    LearnPool(pool, dev);                                                                        \
    return PoolAlloc(dptr, bytesize, Key(pool), dev, call, [&](CUdeviceptr p) {                  \
      if (auto f = CU_REAL(cuMemFreeAsync)) f(p, stream);                                        \
    });                                                                                          \
  }
HAMI_ASYNC_ALLOC(cuMemAllocAsync)
HAMI_ASYNC_ALLOC(cuMemAllocAsync_ptsz)
#undef HAMI_ASYNC_ALLOC

#define HAMI_POOL_ALLOC(sym)                                                             \
  CUresult sym(CUdeviceptr* dptr, size_t bytesize, CUmemoryPool pool, CUstream stream) { \
    HAMI_REAL_OR_FAIL(sym);                                                              \
    if (dptr == nullptr || bytesize == 0 || pool == nullptr) {                           \
      return real(dptr, bytesize, pool, stream);                                         \
    }                                                                                    \
    return PoolAlloc(                                                                    \
        dptr, bytesize, Key(pool), StreamDevice(stream),                                 \
        [&] { return real(dptr, bytesize, pool, stream); },                              \
        [&](CUdeviceptr p) {                                                             \
          if (auto f = CU_REAL(cuMemFreeAsync)) f(p, stream);                            \
        });                                                                              \
  }
HAMI_POOL_ALLOC(cuMemAllocFromPoolAsync)
HAMI_POOL_ALLOC(cuMemAllocFromPoolAsync_ptsz)
#undef HAMI_POOL_ALLOC

#define HAMI_ASYNC_FREE(sym)                                               \
  CUresult sym(CUdeviceptr dptr, CUstream stream) {                        \
    HAMI_REAL_OR_FAIL(sym);                                                \
    if (dptr == 0) return real(dptr, stream);                              \
    AllocTable::Entry e;                                                   \
    if (Runtime::Get().allocs().Find(dptr, &e) && e.spilled) {             \
      return FreePointer(dptr, [&] { return FreeSpilled(dptr, stream); }); \
    }                                                                      \
    return FreePointer(dptr, [&] { return real(dptr, stream); });          \
  }
HAMI_ASYNC_FREE(cuMemFreeAsync)
HAMI_ASYNC_FREE(cuMemFreeAsync_ptsz)
#undef HAMI_ASYNC_FREE

CUresult cuMemPoolCreate(CUmemoryPool* pool, const CUmemPoolProps* props) {
  HAMI_REAL_OR_FAIL(cuMemPoolCreate);
  const CUresult r = real(pool, props);
  if (r == CUDA_SUCCESS && pool != nullptr && props != nullptr) {
    const bool device = props->location.type == CU_MEM_LOCATION_TYPE_DEVICE;
    LearnPool(*pool, device ? props->location.id : kHostPool);
  }
  return r;
}

CUresult cuDeviceGetDefaultMemPool(CUmemoryPool* pool, CUdevice dev) {
  HAMI_REAL_OR_FAIL(cuDeviceGetDefaultMemPool);
  const CUresult r = real(pool, dev);
  if (r == CUDA_SUCCESS && pool != nullptr) LearnPool(*pool, dev);
  return r;
}

CUresult cuDeviceGetMemPool(CUmemoryPool* pool, CUdevice dev) {
  HAMI_REAL_OR_FAIL(cuDeviceGetMemPool);
  const CUresult r = real(pool, dev);
  if (r == CUDA_SUCCESS && pool != nullptr) LearnPool(*pool, dev);
  return r;
}

CUresult cuMemPoolTrimTo(CUmemoryPool pool, size_t min_bytes_to_keep) {
  HAMI_REAL_OR_FAIL(cuMemPoolTrimTo);
  Runtime& rt = Runtime::Get();
  std::lock_guard<std::mutex> lock(rt.pools().mu());
  const CUresult r = real(pool, min_bytes_to_keep);
  PoolLedger::Pool* p = rt.pools().Find(Key(pool));
  if (r == CUDA_SUCCESS && p != nullptr) Settle(rt, Key(pool), *p);
  return r;
}

CUresult cuMemPoolDestroy(CUmemoryPool pool) {
  HAMI_REAL_OR_FAIL(cuMemPoolDestroy);
  Runtime& rt = Runtime::Get();
  std::lock_guard<std::mutex> lock(rt.pools().mu());
  const CUresult r = real(pool);
  PoolLedger::Pool* p = rt.pools().Find(Key(pool));
  if (r != CUDA_SUCCESS || p == nullptr) return r;
  // The driver releases the pool once its outstanding allocations are freed: they stay charged.
  p->destroyed = true;
  const uint64_t outstanding = rt.allocs().BytesOfPool(Key(pool));
  if (p->dev >= 0 && outstanding < p->charged) {
    rt.Unreserve(p->dev, p->charged - outstanding, UsageKind::kData);
    p->charged = outstanding;
  }
  if (p->charged == 0) rt.pools().Forget(Key(pool));
  return r;
}

}  // extern "C"
