// Shared helpers of the hook translation units: accounted allocate / free around a driver call.
// Contract: an allocation is reserved in the region at what it really takes on the device before
// the driver call (so concurrent processes cannot overshoot), released again if the driver fails,
// and recorded on success with the context it belongs to (the driver frees it with that context).
// When the driver has no room (CUDA_ERROR_OUT_OF_MEMORY) and the device oversubscribes, the
// allocation is backed by host memory instead (SpillAlloc), under the same reservation.
// A free releases only what we recorded; unknown pointers are still forwarded to the driver.
// Without a current context the driver refuses an allocation; under a limit we refuse it first.
#pragma once

#include <cstring>

#include "gpuapi/cuda_functions.h"
#include "shim/limit/budget.h"
#include "shim/loader.h"
#include "shim/runtime.h"

namespace hami::shim {

using region::UsageKind;

// Host memory the GPU `dev` addresses, for an allocation of `bytes` the GPU has no room for:
// managed memory advised to live on the host (preferred location CPU) and to stay mapped on
// `dev` (accessed by), so kernels read it over the bus instead of migrating it into device
// memory. Writes the pointer to `*dptr`; CUDA_ERROR_OUT_OF_MEMORY when the driver refuses.
// Reserves nothing: the caller holds the reservation. hooks/spill.cc.
CUresult SpillAlloc(int dev, uint64_t bytes, CUdeviceptr* dptr);

// The spill of an allocation that never spills (arrays).
struct NoSpill {
  CUresult operator()() const { return CUDA_ERROR_OUT_OF_MEMORY; }
};

// `key_out` points at the 8-byte value the driver writes (device pointer or array handle);
// `charge` is what is reserved (the device footprint, not the requested size). `spill` backs the
// allocation with host memory (SpillAlloc) when `call` finds no room and `dev` oversubscribes.
template <typename Call, typename Spill = NoSpill>
CUresult AccountedAlloc(AllocTable& table, int dev, uint64_t charge, Call&& call,
                        const void* key_out, Spill&& spill = NoSpill{}) {
  Runtime& rt = Runtime::Get();
  if (dev < 0) return rt.MayRunUnaccounted() ? call() : CUDA_ERROR_INVALID_CONTEXT;
  if (!rt.Reserve(dev, charge, UsageKind::kData)) return CUDA_ERROR_OUT_OF_MEMORY;
  CUresult r = call();
  const bool spilled =
      r == CUDA_ERROR_OUT_OF_MEMORY && rt.Oversubscribes(dev) && (r = spill()) == CUDA_SUCCESS;
  if (r != CUDA_SUCCESS) {
    rt.Unreserve(dev, charge, UsageKind::kData);
    return r;
  }
  uint64_t key;
  std::memcpy(&key, key_out, sizeof(key));
  table.Insert(key, AllocTable::Entry{charge, dev, static_cast<int32_t>(UsageKind::kData),
                                      CurrentContextKey(), 0, spilled});
  return r;
}

// Brings every device's graph-memory charge to what the driver's graph pool reserves (at least
// what live graph execs hold); hooks/graph.cc.
void SettleGraphMemory();

template <typename Call>
CUresult AccountedFree(AllocTable& table, uint64_t key, Call&& call) {
  Runtime& rt = Runtime::Get();
  AllocTable::Entry e;
  const bool known = table.Take(key, &e);
  const CUresult r = call();
  if (known) {
    if (r == CUDA_SUCCESS) {
      rt.Unreserve(e.dev, e.bytes, static_cast<UsageKind>(e.kind));
    } else {
      table.Insert(key, e);
    }
  }
  return r;
}

}  // namespace hami::shim

#define HAMI_REAL_OR_FAIL(sym) \
  auto real = CU_REAL(sym);    \
  if (real == nullptr) return CUDA_ERROR_NOT_SUPPORTED
