// The device plugin's Volcano mode (--volcano, docs/integrations/volcano.md): the grammars of
// Volcano's vGPU contract (keys in volcano_wire.h) and the seam through which the Allocator,
// written against HAMi's pod annotations, serves pods placed by Volcano's deviceshare plugin.
// Pure; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/device.h"
#include "model/pod.h"

namespace hami::deviceplugin {

// The pod annotations an Allocate reads and writes: HAMi's (hami.io/...) or Volcano's.
struct PodKeys {
  std::string bind_phase;
  std::string bind_time;
  std::string node;
  std::string to_allocate;
  bool volcano = false;
  friend bool operator==(const PodKeys&, const PodKeys&) = default;
};
PodKeys HamiPodKeys();
PodKeys VolcanoPodKeys();

// `pod` as allocate.h and admitted_pod.h read it: with Volcano's keys, HAMi's bind keys are
// dropped and Volcano's values copied under them (a pod Volcano placed carries the same
// per-device grammar "<uuid>,NVIDIA,<mem>,<cores>:" in its to-allocate annotation). HAMi's keys:
// unchanged.
void ViewAsHami(model::Pod& pod, const PodKeys& keys);

// Oldest `keys.bind_time` first (unix seconds; missing or malformed last), stable: upstream
// Volcano's plugin serves the oldest pod bound to the node and still allocating.
void SortByBindTime(std::vector<model::Pod>& pods, const PodKeys& keys);

// WIRE: volcano.sh/node-vgpu-register: "<uuid>,<count>,<devmem>,<type>,<health>,hami-core:" per
// device, as Volcano's decodeNodeDevices splits it (no ',' or ':' may appear inside a field: such
// bytes in a type are replaced by '_'). v1.10.0 reads the first five fields; later releases need
// the sixth, the sharing mode ("hami-core" or "mig"), and refuse the node's whole register
// without it.
std::string EncodeVolcanoNodeDevices(const std::vector<model::DeviceInfo>& devices);

// WIRE: volcano.sh/gpu-unhealthy-ids: the unhealthy devices' UUIDs joined by ','.
std::string EncodeUnhealthyIds(const std::vector<model::DeviceInfo>& devices);

// WIRE: "Reported_2006.01.02 15:04:05" (UTC) for `unix_seconds`.
std::string VolcanoHandshakeReported(int64_t unix_seconds);

// The register and unhealthy-ids annotations of `devices` (the handshake is added at publish).
nlohmann::json VolcanoNodeAnnotations(const std::vector<model::DeviceInfo>& devices);

}  // namespace hami::deviceplugin
