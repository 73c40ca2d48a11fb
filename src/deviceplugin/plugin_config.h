// The device plugin's effective configuration: the `nvidia:` block of device-config.yaml,
// overridden by the node's entry of the per-node config JSON (hami-wire §2.4), plus CLI flags.
//
//   {"nodeconfig":[{"name":"<node>","operatingmode":"hami-core","devicememoryscaling":1,
//     "devicecorescaling":1,"devicesplitcount":10,"preconfigureddevicememory":0,
//     "libcudaloglevel":"1","enablenumatopology":false,"migstrategy":"none",
//     "filterdevices":{"uuid":[],"index":[]},"enablegetpreferredallocation":false}]}
//
// Pure: no I/O (the caller reads the file). Plain values; thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "vendor/nvidia/config.h"

namespace hami::deviceplugin {

// How NVIDIA_VISIBLE_DEVICES names the GPUs (upstream --device-id-strategy).
enum class DeviceIdStrategy { kUuid, kIndex };

struct PluginConfig {
  std::string node_name;
  std::string resource_name = "nvidia.com/gpu";  // nvidia.resourceCountName
  std::string operating_mode = "hami-core";      // hami-core | mps | mig
  int32_t split_count = 10;
  double memory_scaling = 1.0;
  double core_scaling = 1.0;
  int64_t preconfigured_memory_mib = 0;   // used when NVML cannot report memory
  std::string lib_cuda_log_level = "1";   // LIBCUDA_LOG_LEVEL; empty = not set
  bool enable_numa_topology = false;      // attach NUMA topology to ListAndWatch devices
  std::string mig_strategy = "none";      // none | single | mixed
  std::vector<std::string> filter_uuids;  // GPUs never registered
  std::vector<int32_t> filter_indices;
  bool enable_preferred_allocation = false;
  bool disable_core_limit = false;  // GPU_CORE_UTILIZATION_POLICY=disable in Allocate
  DeviceIdStrategy device_id_strategy = DeviceIdStrategy::kUuid;
  bool pass_device_specs = false;
  bool enable_topology_score = false;  // env ENABLE_TOPOLOGY_SCORE=true
  // --volcano: serve Volcano's vGPU contract (volcano.h) instead of HAMi's: resource
  // volcano.sh/vgpu-number, volcano.sh/node-vgpu-* node annotations, volcano.sh/* pod keys.
  bool volcano = false;
  // Mode "mps": the MPS control daemon's directory on the host (--mps-root): pipe/ (its
  // CUDA_MPS_PIPE_DIRECTORY, with the `control` pipe), shm/ (its /dev/shm), log/.
  std::string mps_root = "/run/nvidia/mps";
  // Mode "mig": the profiles each model may register (nvidia.migProfileAllowlist; empty: all).
  std::vector<vendor::nvidia::MigAllowlistEntry> mig_profile_allowlist;
};

// The yaml-level defaults: resource name, split count, scaling, preconfigured memory, NUMA,
// log level and disableCoreLimit from `nvidia`.
PluginConfig FromNvidiaConfig(const vendor::nvidia::NvidiaConfig& nvidia, std::string node_name);

// WIRE: applies the entry of `json_text` whose "name" equals config.node_name; other entries are
// ignored. As upstream, only non-zero / non-empty values override (true booleans win). Errors
// (InvalidArgument) name the entry and key: not JSON, wrong types, unknown operating mode or
// MIG strategy, split count < 1 or scaling <= 0 after merge.
base::Result<PluginConfig> ApplyNodeConfigJson(PluginConfig config, std::string_view json_text);

// Checks the merged config: split count >= 1, scalings > 0, known mode/strategy.
base::Status Validate(const PluginConfig& config);

}  // namespace hami::deviceplugin
