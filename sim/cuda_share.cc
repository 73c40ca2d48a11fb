// Simulated driver entry points: memory shared between processes through OS handles. VMM
// shareable handles (cuMemExportToShareableHandle / cuMemImportFromShareableHandle) and memory
// pools (cuMemPoolExportToShareableHandle / cuMemPoolImportFromShareableHandle /
// cuMemPoolExportPointer / cuMemPoolImportPointer).
//
// The handle type modelled is CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR, for handles and pools
// created with it among their handle types: the OS handle is a real file descriptor
// (share_record.h), written as an int by the exports and passed by value in the void* of the
// imports. An import takes no physical memory: it maps the exporter's, which stays charged to the
// exporter. An imported VMM handle is mapped, released, retained and queried like any handle (its
// properties name the importer's ordinal of the GPU); an imported pool serves no allocations and
// cannot become a device's current pool; a pointer imported from it is freed with cuMemFree or
// cuMemFreeAsync. Refused with CUDA_ERROR_INVALID_VALUE, as documented for the driver: exporting
// an object created without the handle type, another handle type, non-zero flags, importing
// anything that is not a live export of the right kind (a closed or foreign descriptor, an
// exporter that released the object, destroyed the pool or exited), a pointer of another pool.
// A handle of a GPU the importer does not see is CUDA_ERROR_NOT_SUPPORTED.
//
// Not modelled: memory outliving its exporter. The driver keeps a VMM allocation while any
// process holds it; here the exporter's release (or exit) returns the memory to the GPU even if
// an importer still maps it. (Pool pointers must be freed by every importer before the exporter
// frees them: the same rule as the driver's.)
#include <fcntl.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>

#include "gpuapi/cuda_functions.h"
#include "sim/cuda_process.h"
#include "sim/share_record.h"

using hami::sim::Allocation;
using hami::sim::AllocKind;
using hami::sim::ObjKind;
using hami::sim::Pool;
using hami::sim::Process;
using hami::sim::ShareKind;
using hami::sim::ShareRecord;
using hami::sim::VmmHandle;

namespace {

using Lock = std::lock_guard<std::mutex>;

constexpr uint32_t kPointerMagic = 0x50505853;  // "SXPP"

// CUmemPoolPtrExportData as the simulator fills it.
struct PointerData {
  uint32_t magic;
  int32_t pid;
  uint64_t start_time;
  uint64_t pool_id;
  uint64_t base;
  uint64_t size;
  uint64_t reserved;
};
static_assert(sizeof(PointerData) <= sizeof(CUmemPoolPtrExportData), "fits the export data");

bool Exportable(CUmemAllocationHandleType created_with, CUmemAllocationHandleType requested) {
  return requested == CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR &&
         (created_with & CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR) != 0;
}

// This process's CUDA ordinal of physical GPU `phys`, or -1 when it does not see it.
int OrdinalOf(const Process& p, int phys) {
  for (int i = 0; i < p.device_count(); ++i) {
    if (p.Phys(i) == phys) return i;
  }
  return -1;
}

// A new descriptor of the export memfd `*export_fd` (created from `record` on first use) for the
// caller; CUDA_ERROR_OPERATING_SYSTEM when the OS refuses.
CUresult NewExportFd(int* export_fd, const ShareRecord& record, int* out) {
  if (*export_fd < 0) *export_fd = hami::sim::CreateShareFd(record);
  const int fd = *export_fd < 0 ? -1 : fcntl(*export_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return CUDA_ERROR_OPERATING_SYSTEM;
  *out = fd;
  return CUDA_SUCCESS;
}

int FdOf(void* os_handle) { return static_cast<int>(reinterpret_cast<intptr_t>(os_handle)); }

ShareRecord RecordOf(const Process& p, ShareKind kind, int phys, uint64_t id) {
  ShareRecord record;
  record.kind = kind;
  record.pid = p.pid();
  record.phys = phys;
  record.start_time = hami::sim::ProcessStartTime(p.pid());
  record.id = id;
  return record;
}

}  // namespace

extern "C" {

CUresult cuMemExportToShareableHandle(void* shareable_handle, CUmemGenericAllocationHandle handle,
                                      CUmemAllocationHandleType handle_type,
                                      unsigned long long flags) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  auto it = p.vmm_handles.find(handle);
  if (shareable_handle == nullptr || flags != 0 || it == p.vmm_handles.end() ||
      it->second.refs == 0 || !Exportable(it->second.prop.requestedHandleTypes, handle_type)) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  VmmHandle& h = it->second;
  ShareRecord record =
      RecordOf(p, ShareKind::kVmmHandle, h.device >= 0 ? p.Phys(h.device) : -1, handle);
  record.size = h.size;
  record.prop = h.prop;
  return NewExportFd(&h.export_fd, record, static_cast<int*>(shareable_handle));
}

CUresult cuMemImportFromShareableHandle(CUmemGenericAllocationHandle* handle, void* os_handle,
                                        CUmemAllocationHandleType sh_handle_type) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (handle == nullptr || sh_handle_type != CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  const auto record = hami::sim::ReadShareFd(FdOf(os_handle), ShareKind::kVmmHandle);
  if (!record) return CUDA_ERROR_INVALID_VALUE;
  VmmHandle imported;
  imported.size = record->size;
  imported.prop = record->prop;
  if (record->pid == p.pid()) {  // this process's own export: a second handle to its memory
    auto source = p.vmm_handles.find(record->id);
    if (source == p.vmm_handles.end()) return CUDA_ERROR_INVALID_VALUE;
    ++source->second.importers;
    imported.device = source->second.device;
    imported.source = record->id;
  } else {
    if (record->phys >= 0) {
      imported.device = OrdinalOf(p, record->phys);
      if (imported.device < 0) return CUDA_ERROR_NOT_SUPPORTED;
      imported.prop.location.id = imported.device;
    }
    imported.foreign = true;
  }
  const CUmemGenericAllocationHandle id = p.next_vmm_handle++;
  p.vmm_handles[id] = imported;
  *handle = id;
  return CUDA_SUCCESS;
}

CUresult cuMemPoolExportToShareableHandle(void* handle_out, CUmemoryPool pool_handle,
                                          CUmemAllocationHandleType handle_type,
                                          unsigned long long flags) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Pool* pool = p.Find<Pool>(pool_handle, ObjKind::kPool);
  if (handle_out == nullptr || flags != 0 || pool == nullptr || pool->destroyed || pool->imported ||
      !Exportable(pool->handle_types, handle_type)) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  const ShareRecord record =
      RecordOf(p, ShareKind::kPool, p.Phys(pool->device), reinterpret_cast<uint64_t>(pool));
  return NewExportFd(&pool->export_fd, record, static_cast<int*>(handle_out));
}

CUresult cuMemPoolImportFromShareableHandle(CUmemoryPool* pool_out, void* handle,
                                            CUmemAllocationHandleType handle_type,
                                            unsigned long long flags) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (pool_out == nullptr || flags != 0 ||
      handle_type != CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  const auto record = hami::sim::ReadShareFd(FdOf(handle), ShareKind::kPool);
  const int device = record ? OrdinalOf(p, record->phys) : -1;
  if (device < 0) return CUDA_ERROR_INVALID_VALUE;
  auto pool = std::make_unique<Pool>();
  pool->device = device;
  pool->handle_types = handle_type;
  pool->imported = true;
  pool->origin = {record->pid, record->start_time, record->id};
  *pool_out = reinterpret_cast<CUmemoryPool>(p.Add(std::move(pool)));
  return CUDA_SUCCESS;
}

CUresult cuMemPoolExportPointer(CUmemPoolPtrExportData* share_data_out, CUdeviceptr ptr) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  const Allocation* a = p.allocations.FindBase(ptr);
  const Pool* pool = a != nullptr && (a->kind == AllocKind::kPool || a->kind == AllocKind::kAsync)
                         ? p.Find<Pool>(a->owner, ObjKind::kPool)
                         : nullptr;
  if (share_data_out == nullptr || pool == nullptr ||
      (pool->handle_types & CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR) == 0) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  const PointerData data{kPointerMagic,
                         p.pid(),
                         hami::sim::ProcessStartTime(p.pid()),
                         reinterpret_cast<uint64_t>(pool),
                         a->base,
                         a->size,
                         a->reserved};
  std::memset(share_data_out, 0, sizeof(*share_data_out));
  std::memcpy(share_data_out->reserved, &data, sizeof(data));
  return CUDA_SUCCESS;
}

CUresult cuMemPoolImportPointer(CUdeviceptr* ptr_out, CUmemoryPool pool_handle,
                                CUmemPoolPtrExportData* share_data) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  hami::sim::Context* ctx = p.Current();
  if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  const Pool* pool = p.Find<Pool>(pool_handle, ObjKind::kPool);
  if (ptr_out == nullptr || share_data == nullptr || pool == nullptr || pool->destroyed ||
      !pool->imported) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  PointerData data;
  std::memcpy(&data, share_data->reserved, sizeof(data));
  if (data.magic != kPointerMagic || data.pid != pool->origin.pid ||
      data.start_time != pool->origin.start_time || data.pool_id != pool->origin.pool_id ||
      data.size == 0 || data.reserved < data.size ||
      !hami::sim::ProcessAlive(pool->origin.pid, pool->origin.start_time)) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  auto va =
      p.DeviceVa(pool->device).Allocate(data.reserved, hami::sim::AllocationAlignment(data.size));
  if (!va) return CUDA_ERROR_OUT_OF_MEMORY;
  Allocation a;
  a.base = *va;
  a.size = data.size;
  a.reserved = data.reserved;
  a.charged = 0;
  a.device = pool->device;
  a.kind = AllocKind::kPoolImport;
  a.owner = ctx;
  p.allocations.Insert(a);
  *ptr_out = *va;
  return CUDA_SUCCESS;
}

}  // extern "C"
