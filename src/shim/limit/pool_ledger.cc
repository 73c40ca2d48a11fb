#include "shim/limit/pool_ledger.h"

namespace hami::shim {

PoolLedger::Pool& PoolLedger::Learn(uint64_t pool, int dev) {
  auto [it, inserted] = pools_.try_emplace(pool);
  if (inserted) it->second.dev = dev;
  return it->second;
}

PoolLedger::Pool* PoolLedger::Find(uint64_t pool) {
  auto it = pools_.find(pool);
  return it == pools_.end() ? nullptr : &it->second;
}

void PoolLedger::Forget(uint64_t pool) { pools_.erase(pool); }

std::vector<uint64_t> PoolLedger::LivePools() const {
  std::vector<uint64_t> out;
  for (const auto& [handle, p] : pools_) {
    if (!p.destroyed) out.push_back(handle);
  }
  return out;
}

}  // namespace hami::shim
