// Simulated driver entry points: legacy CUDA IPC (cuIpcGetMemHandle / cuIpcOpenMemHandle_v2 /
// cuIpcCloseMemHandle).
//
// A handle names the exporting process (pid), the allocation's base and size and the physical
// GPU; opening it in another process maps the same memory at a new address of that process: no
// physical memory is taken (it stays charged to the exporter). As with the driver, a process
// cannot open its own handle, and a handle whose exporter is gone or whose GPU is not visible
// is refused. Not modelled: the exporter freeing the memory while it is open elsewhere
// (undefined behaviour in CUDA), event handles.
#include <signal.h>

#include <cstring>
#include <mutex>

#include "gpuapi/cuda_functions.h"
#include "sim/cuda_process.h"

using hami::sim::Allocation;
using hami::sim::AllocKind;
using hami::sim::Process;

namespace {

using Lock = std::lock_guard<std::mutex>;

constexpr uint32_t kMagic = 0x49504353;  // "SCPI"

struct HandleData {
  uint32_t magic;
  int32_t pid;
  uint64_t base;
  uint64_t size;
  uint64_t reserved;
  int32_t phys;
};
static_assert(sizeof(HandleData) <= CU_IPC_HANDLE_SIZE, "fits a CUipcMemHandle");

}  // namespace

extern "C" {

CUresult cuIpcGetMemHandle(CUipcMemHandle* handle, CUdeviceptr dptr) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  const Allocation* a = p.allocations.FindBase(dptr);
  if (handle == nullptr || a == nullptr || a->kind == AllocKind::kManaged ||
      a->kind == AllocKind::kIpc || a->kind == AllocKind::kPoolImport) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  HandleData d{kMagic, p.pid(), a->base, a->size, a->reserved, p.Phys(a->device)};
  std::memset(handle, 0, sizeof(*handle));
  std::memcpy(handle->reserved, &d, sizeof(d));
  return CUDA_SUCCESS;
}

CUresult cuIpcOpenMemHandle_v2(CUdeviceptr* pdptr, CUipcMemHandle handle, unsigned int flags) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  hami::sim::Context* ctx = p.Current();
  if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  HandleData d;
  std::memcpy(&d, handle.reserved, sizeof(d));
  if (pdptr == nullptr || d.magic != kMagic || d.size == 0 || d.reserved < d.size ||
      (flags & ~CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS) != 0) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  if (d.pid == p.pid()) return CUDA_ERROR_INVALID_CONTEXT;  // the driver's answer in-process
  if (d.pid <= 0 || kill(d.pid, 0) != 0) return CUDA_ERROR_INVALID_HANDLE;
  int ordinal = -1;
  for (int i = 0; i < p.device_count(); ++i) {
    if (p.Phys(i) == d.phys) ordinal = i;
  }
  if (ordinal < 0) return CUDA_ERROR_INVALID_DEVICE;
  auto va = p.DeviceVa(ordinal).Allocate(d.reserved, hami::sim::kLargePage);
  if (!va) return CUDA_ERROR_OUT_OF_MEMORY;
  Allocation a;
  a.base = *va;
  a.size = d.size;
  a.reserved = d.reserved;
  a.charged = 0;
  a.device = ordinal;
  a.kind = AllocKind::kIpc;
  a.owner = ctx;
  p.allocations.Insert(a);
  *pdptr = *va;
  return CUDA_SUCCESS;
}

CUresult cuIpcCloseMemHandle(CUdeviceptr dptr) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  const Allocation* a = p.allocations.FindBase(dptr);
  if (a == nullptr || a->kind != AllocKind::kIpc) return CUDA_ERROR_INVALID_VALUE;
  p.FreeDevice(dptr);
  return CUDA_SUCCESS;
}

}  // extern "C"
