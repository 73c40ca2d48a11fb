#include "shim/limit/graph_ledger.h"

#include <algorithm>

namespace hami::shim {

uint64_t GraphLedger::Target(int dev, uint64_t driver_reserved, uint64_t extra) const {
  auto it = exec_bytes_.find(dev);
  const uint64_t execs = (it != exec_bytes_.end() ? it->second : 0) + extra;
  return std::max(execs, driver_reserved);
}

void GraphLedger::AddExec(uint64_t exec, const PerDevice& footprint) {
  PerDevice& held = execs_[exec];
  for (const auto& [dev, bytes] : footprint) {
    held[dev] += bytes;
    exec_bytes_[dev] += bytes;
  }
}

GraphLedger::PerDevice GraphLedger::RemoveExec(uint64_t exec) {
  auto it = execs_.find(exec);
  if (it == execs_.end()) return {};
  PerDevice held = std::move(it->second);
  execs_.erase(it);
  for (const auto& [dev, bytes] : held) exec_bytes_[dev] -= std::min(exec_bytes_[dev], bytes);
  return held;
}

std::vector<int> GraphLedger::Devices() const {
  std::vector<int> out;
  for (const auto& [dev, bytes] : exec_bytes_) {
    if (bytes != 0) out.push_back(dev);
  }
  for (const auto& [dev, bytes] : charged_) {
    if (bytes != 0 && std::find(out.begin(), out.end(), dev) == out.end()) out.push_back(dev);
  }
  return out;
}

void GraphLedger::Clear() {
  execs_.clear();
  exec_bytes_.clear();
  charged_.clear();
}

}  // namespace hami::shim
