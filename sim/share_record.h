// ShareRecord: what an OS handle exported by the simulated driver stands for.
//
// cuMemExportToShareableHandle and cuMemPoolExportToShareableHandle with
// CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR hand out a real file descriptor, as the driver does, so
// every way a process can pass one to another (SCM_RIGHTS, fork, pidfd_getfd) works. It refers to
// a memfd holding one ShareRecord: the exporting process (pid and start time, so a reused pid is
// not mistaken for it), the physical GPU and what was exported. The exporter keeps its own
// descriptor of the memfd and clears `live` when the exported object is gone; an importer reads
// the record through whatever descriptor it received. A record is only as trustworthy as the
// simulator needs: any process can forge one, as it can forge a legacy IPC handle.
//
// Thread-compatible: each function works on the descriptor it is given.
#pragma once

#include <cstdint>
#include <optional>

#include "gpuapi/cuda_types.h"

namespace hami::sim {

enum class ShareKind : uint32_t { kVmmHandle = 1, kPool = 2 };

struct ShareRecord {
  uint32_t magic = 0;
  ShareKind kind = ShareKind::kVmmHandle;
  int32_t pid = 0;             // exporting process
  int32_t phys = -1;           // physical GPU index; -1: host memory
  uint64_t start_time = 0;     // exporter's start time (ProcessStartTime)
  uint64_t id = 0;             // the exporter's VMM handle number or pool identity
  uint64_t size = 0;           // VMM: the handle's size; pool: 0
  CUmemAllocationProp prop{};  // VMM: as created (location.id is the exporter's ordinal)
  uint32_t live = 0;           // 1 until the exporter revokes the record
};

// A new memfd (close-on-exec) holding `record` with its magic set and live = 1, or -1 (errno
// set). The caller owns the descriptor.
int CreateShareFd(ShareRecord record);

// The record behind descriptor `fd` when it is one of kind `kind` whose exporter is alive and has
// not revoked it; nullopt for anything else (a closed or foreign descriptor, a pipe, a short or
// garbled file, another kind, a dead or revoked exporter).
std::optional<ShareRecord> ReadShareFd(int fd, ShareKind kind);

// Marks the record behind `fd` gone (importers now refuse it) and closes `fd`.
void RevokeShareFd(int fd);

}  // namespace hami::sim
