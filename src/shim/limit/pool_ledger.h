// PoolLedger: what each memory pool of the process is charged.
//
// A pool holds device memory beyond what its live allocations use: freed blocks stay reserved up
// to the pool's release threshold (or until the next synchronisation / trim), and that memory is
// as taken as any allocation. So a pool is charged what the driver reports it *reserves*
// (CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT), settled after each allocation, free and trim; a pool
// destroyed with allocations outstanding stays charged for those until they are freed.
//
// Pure bookkeeping, no driver calls. Callers serialise each charge-and-settle sequence with
// mu(); every method must be called with it held.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace hami::shim {

class PoolLedger {
 public:
  struct Pool {
    int dev = -1;            // CUDA ordinal of the pool's memory
    uint64_t charged = 0;    // bytes currently charged for it
    bool destroyed = false;  // cuMemPoolDestroy succeeded; outstanding allocations keep it
  };

  std::mutex& mu() { return mu_; }

  // The pool's record, created (device `dev`) when unknown.
  Pool& Learn(uint64_t pool, int dev);
  // The pool's record or nullptr.
  Pool* Find(uint64_t pool);
  // Forgets a pool once it is destroyed and charged nothing.
  void Forget(uint64_t pool);
  // Pools that still exist in the driver (to settle when a reservation is denied).
  std::vector<uint64_t> LivePools() const;

 private:
  std::mutex mu_;
  std::unordered_map<uint64_t, Pool> pools_;
};

}  // namespace hami::shim
