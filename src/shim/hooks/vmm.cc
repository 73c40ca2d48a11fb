// Virtual memory management hooks: a device-located handle is charged its size rounded to the
// allocation granularity from cuMemCreate until its memory is really gone — every reference
// released and every mapping unmapped (limit/vmm_ledger.h). WIRE: driver ABI names.
#include "shim/hooks/hook_util.h"

using hami::shim::Runtime;
using hami::shim::UsageKind;
using hami::shim::VmmLedger;

namespace {

void GiveBack(Runtime& rt, const VmmLedger::Charge& c) {
  if (c.bytes != 0) rt.Unreserve(c.dev, c.bytes, UsageKind::kData);
}

}  // namespace

extern "C" {

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
  const uint64_t bytes =
      hami::shim::limit::RoundUp(size, gran != 0 ? gran : hami::shim::limit::kLargePage);
  const int dev = prop->location.id;
  Runtime& rt = Runtime::Get();
  if (!rt.Reserve(dev, bytes, UsageKind::kData)) return CUDA_ERROR_OUT_OF_MEMORY;
  const CUresult r = real(handle, size, prop, flags);
  if (r != CUDA_SUCCESS) {
    rt.Unreserve(dev, bytes, UsageKind::kData);
    return r;
  }
  rt.vmm().Created(*handle, {dev, bytes});
  return r;
}

CUresult cuMemRelease(CUmemGenericAllocationHandle handle) {
  HAMI_REAL_OR_FAIL(cuMemRelease);
  const CUresult r = real(handle);
  if (r == CUDA_SUCCESS) {
    Runtime& rt = Runtime::Get();
    GiveBack(rt, rt.vmm().Released(handle));
  }
  return r;
}

CUresult cuMemRetainAllocationHandle(CUmemGenericAllocationHandle* handle, void* addr) {
  HAMI_REAL_OR_FAIL(cuMemRetainAllocationHandle);
  const CUresult r = real(handle, addr);
  if (r == CUDA_SUCCESS && handle != nullptr) Runtime::Get().vmm().Referenced(*handle);
  return r;
}

CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset, CUmemGenericAllocationHandle handle,
                  unsigned long long flags) {
  HAMI_REAL_OR_FAIL(cuMemMap);
  Runtime& rt = Runtime::Get();
  // A handle imported from another process is charged per mapping (hooks/ipc.cc): its size is
  // only known here. The charge goes back with the handle's (last release and last unmap).
  const int import_dev = rt.vmm().ImportDevice(handle);
  const uint64_t charge =
      import_dev >= 0 ? hami::shim::limit::RoundUp(size, hami::shim::limit::kLargePage) : 0;
  if (charge != 0 && !rt.Reserve(import_dev, charge, UsageKind::kData)) {
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  const CUresult r = real(ptr, size, offset, handle, flags);
  if (r != CUDA_SUCCESS) {
    if (charge != 0) rt.Unreserve(import_dev, charge, UsageKind::kData);
    return r;
  }
  if (charge != 0) rt.vmm().AddCharge(handle, charge);
  rt.vmm().Mapped(ptr, size, handle);
  return r;
}

CUresult cuMemUnmap(CUdeviceptr ptr, size_t size) {
  HAMI_REAL_OR_FAIL(cuMemUnmap);
  const CUresult r = real(ptr, size);
  if (r == CUDA_SUCCESS) {
    Runtime& rt = Runtime::Get();
    for (const VmmLedger::Charge& c : rt.vmm().Unmapped(ptr, size)) GiveBack(rt, c);
  }
  return r;
}

}  // extern "C"
