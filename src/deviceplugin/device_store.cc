#include "deviceplugin/device_store.h"

#include <algorithm>

namespace hami::deviceplugin {

std::vector<HealthChange> DeviceStore::Update(const std::vector<model::DeviceInfo>& devices) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<model::DeviceInfo> next = devices;
  for (const auto& old : advertised_) {
    bool present =
        std::any_of(next.begin(), next.end(), [&](const auto& d) { return d.id == old.id; });
    if (!present) {
      model::DeviceInfo gone = old;
      gone.health = false;
      next.push_back(std::move(gone));
    }
  }
  std::vector<HealthChange> changes;
  for (const auto& device : next) {
    auto old = std::find_if(advertised_.begin(), advertised_.end(),
                            [&](const auto& d) { return d.id == device.id; });
    bool was_healthy = old == advertised_.end() ? true : old->health;
    if (was_healthy != device.health) changes.push_back({device.id, device.health});
  }
  current_ = devices;
  if (ReplicaDevices(next) != ReplicaDevices(advertised_)) {
    advertised_ = std::move(next);
    ++version_;
    changed_.notify_all();
  } else {
    advertised_ = std::move(next);
  }
  return changes;
}

std::vector<ReplicaDevice> DeviceStore::Replicas() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ReplicaDevices(advertised_);
}

std::vector<model::DeviceInfo> DeviceStore::Devices() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

std::map<std::string, std::string> DeviceStore::ReplicaToUuid() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::string> out;
  for (const auto& replica : ReplicaDevices(advertised_)) out[replica.id] = replica.uuid;
  return out;
}

uint64_t DeviceStore::version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

uint64_t DeviceStore::WaitForChange(uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, timeout, [&] { return closed_ || version_ != seen; });
  return version_;
}

void DeviceStore::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  changed_.notify_all();
}

bool DeviceStore::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

}  // namespace hami::deviceplugin
