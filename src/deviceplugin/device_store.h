// DeviceStore: the plugin's current view of its GPUs, shared by the discovery loop (writer) and
// the kubelet-facing gRPC handlers (readers): the registered devices, their kubelet replicas
// with health, and a version that changes whenever what ListAndWatch sends would change.
//
// Health: a GPU that discovery reports unhealthy, or that disappears, is advertised Unhealthy; a
// GPU reported healthy again is advertised Healthy again (upstream never recovers a device).
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "deviceplugin/inventory.h"
#include "model/device.h"

namespace hami::deviceplugin {

// One health change, for logs and events.
struct HealthChange {
  std::string uuid;
  bool healthy = false;
  friend bool operator==(const HealthChange&, const HealthChange&) = default;
};

class DeviceStore {
 public:
  // Replaces the device list with the latest discovery. A GPU seen before but absent now is kept
  // (same replicas) and marked unhealthy, so the kubelet stops handing it out. Returns the health
  // transitions this update caused (none for the first update of a GPU that starts healthy).
  std::vector<HealthChange> Update(const std::vector<model::DeviceInfo>& devices);

  std::vector<ReplicaDevice> Replicas() const;
  std::vector<model::DeviceInfo> Devices() const;  // the latest discovery, as registered
  std::map<std::string, std::string> ReplicaToUuid() const;
  uint64_t version() const;

  // Blocks until version() != `seen`, Close() is called, or `timeout` passes; returns version().
  uint64_t WaitForChange(uint64_t seen, std::chrono::milliseconds timeout) const;
  // Wakes every waiter for good (shutdown).
  void Close();
  bool closed() const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::vector<model::DeviceInfo> current_;
  std::vector<model::DeviceInfo> advertised_;  // current_ plus vanished GPUs (unhealthy)
  uint64_t version_ = 0;
  bool closed_ = false;
};

}  // namespace hami::deviceplugin
