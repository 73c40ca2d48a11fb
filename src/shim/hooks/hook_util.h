// Shared helpers of the hook translation units: accounted allocate / free around a driver call.
// Contract: an allocation is reserved in the region at what it really takes on the device before
// the driver call (so concurrent processes cannot overshoot), released again if the driver fails,
// and recorded on success with the context it belongs to (the driver frees it with that context).
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

// `key_out` points at the 8-byte value the driver writes (device pointer or array handle);
// `charge` is what is reserved (the device footprint, not the requested size).
template <typename Call>
CUresult AccountedAlloc(AllocTable& table, int dev, uint64_t charge, Call&& call,
                        const void* key_out) {
  Runtime& rt = Runtime::Get();
  if (dev < 0) return rt.MayRunUnaccounted() ? call() : CUDA_ERROR_INVALID_CONTEXT;
  if (!rt.Reserve(dev, charge, UsageKind::kData)) return CUDA_ERROR_OUT_OF_MEMORY;
  const CUresult r = call();
  if (r != CUDA_SUCCESS) {
    rt.Unreserve(dev, charge, UsageKind::kData);
    return r;
  }
  uint64_t key;
  std::memcpy(&key, key_out, sizeof(key));
  table.Insert(key, AllocTable::Entry{charge, dev, static_cast<int32_t>(UsageKind::kData),
                                      CurrentContextKey(), 0});
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
