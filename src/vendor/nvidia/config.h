// The `nvidia:` block of HAMi's device-config.yaml (hami-wire §1.5), with upstream's defaults.
// Read by the NVIDIA backend of the scheduler and by hami-device-plugin. Plain value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "vendor/nvidia/wire.h"

namespace hami::vendor::nvidia {

// One `migProfileAllowlist` entry: the MIG profiles allowed on GPUs whose model contains one of
// `models`.
struct MigAllowlistEntry {
  std::vector<std::string> models;
  std::vector<std::string> profiles;
};

struct NvidiaConfig {
  // WIRE: resource names, configurable as upstream.
  std::string resource_count_name = kDefaultCountResource;
  std::string resource_memory_name = kDefaultMemoryResource;
  std::string resource_memory_percentage_name = kDefaultMemoryPercentageResource;
  std::string resource_core_name = kDefaultCoreResource;
  std::string resource_priority_name = kDefaultPriorityResource;
  bool overwrite_env = false;
  int64_t default_memory = 0;  // MiB
  int64_t default_cores = 0;   // percent
  int64_t default_gpu_num = 1;
  int64_t memory_factor = 1;  // <= 1 means 1
  int32_t device_split_count = 10;
  double device_memory_scaling = 1.0;
  double device_core_scaling = 1.0;
  int64_t preconfigured_device_memory = 0;
  bool enable_numa_topology = false;
  std::string gpu_core_policy = "default";
  int32_t lib_cuda_log_level = 1;
  std::string runtime_class_name;
  bool disable_core_limit = false;
  std::vector<MigAllowlistEntry> mig_profile_allowlist;
  // False (the default): one Binding carrying the booking, no lock; the device plugin finds the pod
  // being admitted through the kubelet's pod-resources API (docs/scheduler.md, "Bind without a
  // node lock"). True (flag --nvidia-node-lock, compatibility mode): upstream's protocol,
  // hami.io/mutex.lock held from bind until the device plugin's Allocate.
  bool node_lock = false;

  int64_t EffectiveMemoryFactor() const { return memory_factor > 1 ? memory_factor : 1; }
};

// Reads the keys present in `nvidia` (upstream's camelCase names; quoted numbers and booleans
// accepted); absent keys keep defaults. Wrong types are an InvalidArgument naming the key; keys
// it does not know are appended to `warnings` (when given) by name.
base::Result<NvidiaConfig> NvidiaConfigFromJson(const nlohmann::json& nvidia,
                                                std::vector<std::string>* warnings = nullptr);

}  // namespace hami::vendor::nvidia
