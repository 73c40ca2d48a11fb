// Hooks of memory imported from another process: legacy IPC (cuIpcOpenMemHandle[_v2]), VMM
// shareable handles (cuMemImportFromShareableHandle, charged per mapping in hooks/vmm.cc) and
// pool pointers (cuMemPoolImportPointer).
//
// Every import is charged to the importing process, at the device footprint of what it maps,
// on the device the memory lives on, until it is closed / freed / released and unmapped — also
// when the exporter is a process of the same container, which is then charged twice. That is
// deliberate: nothing an importer can read tells it, unforgeably, that the memory is already
// charged to its container (the handles are opaque, and every file the container can read it
// can also write), and believing a forged "already charged" claim would give free memory.
// Counting twice only refuses early. When the importer cannot tell the size or device of what
// it opened while a limit applies, the import is undone and refused (fail closed).
// WIRE: driver ABI names.
#include "shim/hooks/hook_util.h"
#include "shim/log.h"

using hami::shim::AccountedFree;
using hami::shim::AllocTable;
using hami::shim::Runtime;
using hami::shim::UsageKind;
using hami::shim::limit::DeviceFootprint;

namespace {

// Charges an opened import at `dptr` (whole allocation: its base is `dptr`) and records it for
// `undo`'s counterpart (close / free); on refusal runs `undo` and returns the error.
template <typename Undo>
CUresult ChargeImport(const char* what, CUdeviceptr dptr, Undo&& undo) {
  Runtime& rt = Runtime::Get();
  auto range = CU_REAL(cuMemGetAddressRange_v2);
  auto attr = CU_REAL(cuPointerGetAttribute);
  CUdeviceptr base = 0;
  size_t size = 0;
  int dev = -1;
  if (range == nullptr || attr == nullptr || range(&base, &size, dptr) != CUDA_SUCCESS ||
      attr(&dev, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, dptr) != CUDA_SUCCESS || dev < 0) {
    if (rt.MayRunUnaccounted()) return CUDA_SUCCESS;
    SHIM_ERROR("%s: cannot tell the size and device of imported memory %#llx: import refused", what,
               static_cast<unsigned long long>(dptr));
    undo();
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  const uint64_t charge = DeviceFootprint(size);
  if (!rt.Reserve(dev, charge, UsageKind::kData)) {
    undo();
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  rt.allocs().Insert(dptr, AllocTable::Entry{charge, dev, static_cast<int32_t>(UsageKind::kData),
                                             hami::shim::CurrentContextKey(), 0});
  return CUDA_SUCCESS;
}

}  // namespace

extern "C" {

#define HAMI_IPC_OPEN(sym)                                                      \
  CUresult sym(CUdeviceptr* pdptr, CUipcMemHandle handle, unsigned int flags) { \
    HAMI_REAL_OR_FAIL(sym);                                                     \
    const CUresult r = real(pdptr, handle, flags);                              \
    if (r != CUDA_SUCCESS || pdptr == nullptr) return r;                        \
    return ChargeImport(#sym, *pdptr, [&] {                                     \
      if (auto close = CU_REAL(cuIpcCloseMemHandle)) close(*pdptr);             \
    });                                                                         \
  }
HAMI_IPC_OPEN(cuIpcOpenMemHandle)
HAMI_IPC_OPEN(cuIpcOpenMemHandle_v2)
#undef HAMI_IPC_OPEN

CUresult cuIpcCloseMemHandle(CUdeviceptr dptr) {
  HAMI_REAL_OR_FAIL(cuIpcCloseMemHandle);
  return AccountedFree(Runtime::Get().allocs(), dptr, [&] { return real(dptr); });
}

// Freed by the importer with cuMemFree[Async] (hooks/pool.cc: a recorded pointer outside any
// pool gives back what it was charged).
CUresult cuMemPoolImportPointer(CUdeviceptr* ptr_out, CUmemoryPool pool,
                                CUmemPoolPtrExportData* share_data) {
  HAMI_REAL_OR_FAIL(cuMemPoolImportPointer);
  const CUresult r = real(ptr_out, pool, share_data);
  if (r != CUDA_SUCCESS || ptr_out == nullptr) return r;
  return ChargeImport("cuMemPoolImportPointer", *ptr_out, [&] {
    if (auto f = CU_REAL(cuMemFree_v2)) f(*ptr_out);
  });
}

CUresult cuMemImportFromShareableHandle(CUmemGenericAllocationHandle* handle, void* os_handle,
                                        CUmemAllocationHandleType type) {
  HAMI_REAL_OR_FAIL(cuMemImportFromShareableHandle);
  const CUresult r = real(handle, os_handle, type);
  if (r != CUDA_SUCCESS || handle == nullptr) return r;
  Runtime& rt = Runtime::Get();
  CUmemAllocationProp prop{};
  auto props = CU_REAL(cuMemGetAllocationPropertiesFromHandle);
  if (props == nullptr || props(&prop, *handle) != CUDA_SUCCESS) {
    if (rt.MayRunUnaccounted()) return r;
    SHIM_ERROR(
        "cuMemImportFromShareableHandle: cannot tell where imported memory lives: "
        "import refused");
    if (auto release = CU_REAL(cuMemRelease)) release(*handle);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  // Host-located memory is not device memory: tracked like any handle, never charged.
  if (prop.location.type != CU_MEM_LOCATION_TYPE_DEVICE) {
    rt.vmm().Referenced(*handle);
  } else {
    rt.vmm().Imported(*handle, prop.location.id);
  }
  return r;
}

}  // extern "C"
