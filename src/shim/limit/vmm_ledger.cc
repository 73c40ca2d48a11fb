#include "shim/limit/vmm_ledger.h"

namespace hami::shim {

void VmmLedger::Created(uint64_t handle, Charge charge) {
  std::lock_guard<std::mutex> lock(mu_);
  Handle& h = handles_[handle];
  h.charge = charge;
  h.refs = 1;
  h.maps = 0;
}

void VmmLedger::Referenced(uint64_t handle) {
  std::lock_guard<std::mutex> lock(mu_);
  ++handles_[handle].refs;
}

void VmmLedger::Imported(uint64_t handle, int dev) {
  std::lock_guard<std::mutex> lock(mu_);
  Handle& h = handles_[handle];
  ++h.refs;
  h.imported = true;
  h.charge.dev = dev;
}

int VmmLedger::ImportDevice(uint64_t handle) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = handles_.find(handle);
  return it != handles_.end() && it->second.imported ? it->second.charge.dev : -1;
}

void VmmLedger::AddCharge(uint64_t handle, uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = handles_.find(handle);
  if (it != handles_.end()) it->second.charge.bytes += bytes;
}

VmmLedger::Charge VmmLedger::DropIfGone(std::unordered_map<uint64_t, Handle>::iterator it) {
  if (it->second.refs > 0 || it->second.maps > 0) return {};
  Charge c = it->second.charge;
  handles_.erase(it);
  return c;
}

VmmLedger::Charge VmmLedger::Released(uint64_t handle) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = handles_.find(handle);
  if (it == handles_.end()) return {};
  if (it->second.refs > 0) --it->second.refs;
  return DropIfGone(it);
}

void VmmLedger::Mapped(uint64_t va, uint64_t size, uint64_t handle) {
  std::lock_guard<std::mutex> lock(mu_);
  ++handles_[handle].maps;
  mappings_[va] = {size, handle};
}

std::vector<VmmLedger::Charge> VmmLedger::Unmapped(uint64_t va, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Charge> out;
  const uint64_t end = va + size < va ? UINT64_MAX : va + size;
  for (auto m = mappings_.lower_bound(va); m != mappings_.end() && m->first < end;) {
    auto h = handles_.find(m->second.second);
    m = mappings_.erase(m);
    if (h == handles_.end()) continue;
    if (h->second.maps > 0) --h->second.maps;
    Charge c = DropIfGone(h);
    if (c.bytes != 0) out.push_back(c);
  }
  return out;
}

VmmLedger::Charge VmmLedger::ChargeOf(uint64_t handle) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = handles_.find(handle);
  return it == handles_.end() ? Charge{} : it->second.charge;
}

size_t VmmLedger::Size() {
  std::lock_guard<std::mutex> lock(mu_);
  return handles_.size();
}

void VmmLedger::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  handles_.clear();
  mappings_.clear();
}

}  // namespace hami::shim
