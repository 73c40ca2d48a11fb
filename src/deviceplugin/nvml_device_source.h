// NvmlDeviceSource: the node's GPUs through NVML loaded at run time (dlopen of the real
// libnvidia-ml.so.1, or the simulated one from sim/), declared by src/gpuapi/nvml_functions.h.
//
// Discover() enumerates every GPU: index, UUID, name, memory (nullopt on NOT_SUPPORTED), NUMA
// (nvmlDeviceGetNumaNodeId, else sysfs numa_node of the PCI bus id, else 0), MIG mode (and, when
// on, every GPU-instance profile with its placements), minor number, bus id and health. Health is
// polled: a GPU is unhealthy when NVML cannot read its identity or memory (GPU_IS_LOST, UNKNOWN,
// ...). XID event sets are not used (the simulated driver has none). Links() gives NVML topology
// levels between GPUs where the library exports nvmlDeviceGetTopologyCommonAncestor (the simulated
// one does not). Thread-safe: calls are serialized by an internal mutex.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "deviceplugin/inventory.h"

namespace hami::deviceplugin {

// What the plugin needs from a GPU driver; NvmlDeviceSource is the real one.
class DeviceSource {
 public:
  virtual ~DeviceSource() = default;
  virtual base::Result<std::vector<GpuInfo>> Discover() = 0;
  // Link facts between pairs of the given GPUs (both orders); empty when unknown.
  virtual std::map<std::pair<std::string, std::string>, PairLink> Links(
      const std::vector<GpuInfo>& gpus) = 0;
};

class NvmlDeviceSource final : public DeviceSource {
 public:
  // dlopens `library` (a path, or a soname searched on LD_LIBRARY_PATH) and calls nvmlInit_v2.
  // Errors name the library and the NVML error.
  static base::Result<std::unique_ptr<NvmlDeviceSource>> Open(const std::string& library);
  ~NvmlDeviceSource() override;  // nvmlShutdown + dlclose

  base::Result<std::vector<GpuInfo>> Discover() override;
  std::map<std::pair<std::string, std::string>, PairLink> Links(
      const std::vector<GpuInfo>& gpus) override;

  struct Functions;  // resolved entry points (defined in the .cc)

 private:
  NvmlDeviceSource(void* handle, std::unique_ptr<Functions> fns);
  base::Result<GpuInfo> Query(unsigned int index);

  std::mutex mu_;
  void* handle_;
  std::unique_ptr<Functions> fns_;
};

}  // namespace hami::deviceplugin
