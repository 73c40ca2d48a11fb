// MigManager: dynamic MIG on the node (mode "mig"), applying mig.h's decisions through a
// DeviceSource.
//   * Realize: at Allocate, each booked (GPU, profile, placement) gets an instance exactly there:
//     an existing one is reused (a retried Allocate, a restart between creation and write-back),
//     stale instances in the way (of pods gone) are destroyed first, and an overlapping instance a
//     live pod holds is an error (never two pods on one instance).
//   * Reconcile: instances no live pod's booking holds are destroyed (pods deleted or finished).
// Both decide from what NVML lists now and from the pods bound to the node, so a restarted
// plugin neither leaks nor double-creates an instance; nothing is remembered in between. A
// destroy decision always rests on a fresh LIST of the node's pods (the watch cache only spares
// that LIST when it shows nothing to destroy). Thread-safe: Realize and Reconcile are serialized.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "base/result.h"
#include "deviceplugin/mig.h"
#include "deviceplugin/nvml_device_source.h"

namespace hami::deviceplugin {

struct MigManagerConfig {
  // The GPUs of the last discovery (with their MIG mode and profiles).
  std::function<std::vector<GpuInfo>()> gpus;
  // Every booking of the pods bound to the node that are not Succeeded/Failed, read fresh from the
  // API server; an error when any of them cannot be read (nothing is destroyed then).
  std::function<base::Result<std::vector<model::MigAllocation>>()> live_bookings;
  // The same from a watch cache; nullopt while it is not synced. Optional.
  std::function<std::optional<std::vector<model::MigAllocation>>()> cached_bookings;
};

class MigManager {
 public:
  MigManager(DeviceSource& source, MigManagerConfig config);

  // One instance per booking of `wanted`, in order. Errors (FailedPrecondition/Unavailable) name
  // the GPU, profile and placement; instances created before a failure stay booked by the pod
  // and are reconciled once it is gone.
  base::Result<std::vector<MigInstance>> Realize(const std::vector<model::MigAllocation>& wanted);

  // Destroys every instance no live booking holds; returns those destroyed. Errors are logged
  // and leave instances in place.
  std::vector<MigInstance> Reconcile();

 private:
  base::Result<MigInstance> RealizeOne(const model::MigAllocation& want,
                                       std::optional<std::vector<model::MigAllocation>>& live);

  DeviceSource& source_;
  MigManagerConfig config_;
  std::mutex mu_;
};

}  // namespace hami::deviceplugin
