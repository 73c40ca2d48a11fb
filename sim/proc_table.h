// How cuGetProcAddress answers: a table of (base name, first CUDA version, entry points).
//
// Callers ask by the base name ("cuMemAlloc") and the CUDA version they were built for; the
// driver returns the newest ABI variant introduced at or before that version (cuMemAlloc ->
// cuMemAlloc_v2 from 3020), the per-thread-default-stream variant (_ptsz/_ptds) when the flags ask
// for it and one exists, SYMBOL_NOT_FOUND for unknown names (including suffixed ones) and
// VERSION_NOT_SUFFICIENT when every variant is newer than the requested version. Pure.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "gpuapi/cuda_types.h"

namespace hami::sim {

struct ProcEntry {
  const char* name;  // base name as callers ask for it
  int version;       // first cudaVersion for which this variant is returned
  void* fn;          // legacy/default-stream entry point
  void* per_thread;  // _ptsz/_ptds entry point, or nullptr
};

struct ProcLookup {
  void* fn;  // nullptr unless status is CU_GET_PROC_ADDRESS_SUCCESS
  CUdriverProcAddressQueryResult status;
};

ProcLookup ResolveProc(std::span<const ProcEntry> table, std::string_view symbol, int cuda_version,
                       cuuint64_t flags);

}  // namespace hami::sim
