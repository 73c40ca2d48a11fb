#include "sim/proc_table.h"

namespace hami::sim {

ProcLookup ResolveProc(std::span<const ProcEntry> table, std::string_view symbol, int cuda_version,
                       cuuint64_t flags) {
  const ProcEntry* best = nullptr;
  bool known = false;
  for (const ProcEntry& e : table) {
    if (symbol != e.name) continue;
    known = true;
    if (e.version <= cuda_version && (best == nullptr || e.version > best->version)) best = &e;
  }
  if (best == nullptr) {
    return {nullptr, known ? CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT
                           : CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND};
  }
  bool per_thread = (flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) != 0;
  void* fn = per_thread && best->per_thread != nullptr ? best->per_thread : best->fn;
  return {fn, CU_GET_PROC_ADDRESS_SUCCESS};
}

}  // namespace hami::sim
