// Shared helpers of the hook translation units: accounted allocate / free around a driver call.
// Contract: an allocation is reserved in the region before the driver call (so concurrent
// processes cannot overshoot), released again if the driver fails, and recorded on success. A
// free releases only what we recorded; unknown pointers are still forwarded to the driver.
#pragma once

#include <cstring>

#include "gpuapi/cuda_functions.h"
#include "shim/loader.h"
#include "shim/runtime.h"

namespace hami::shim {

using region::UsageKind;

// `key_out` points at the 8-byte value the driver writes (device pointer, array or handle).
template <typename Call>
CUresult AccountedAlloc(AllocTable& table, int dev, uint64_t bytes, Call&& call,
                        const void* key_out) {
  Runtime& rt = Runtime::Get();
  if (dev < 0) return call();
  if (!rt.Reserve(dev, bytes, UsageKind::kData)) return CUDA_ERROR_OUT_OF_MEMORY;
  const CUresult r = call();
  if (r != CUDA_SUCCESS) {
    rt.Unreserve(dev, bytes, UsageKind::kData);
    return r;
  }
  uint64_t key;
  std::memcpy(&key, key_out, sizeof(key));
  table.Insert(key, AllocTable::Entry{bytes, dev, static_cast<int32_t>(UsageKind::kData)});
  return r;
}

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

#define HAMI_REAL_OR_FAIL(sym)                \
  auto real = CU_REAL(sym);                   \
  if (real == nullptr) return CUDA_ERROR_NOT_SUPPORTED
