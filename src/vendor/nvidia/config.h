// The `nvidia:` block of HAMi's device-config.yaml (hami-wire §1.5), with upstream's defaults.
// Parsed from JSON (the YAML file is converted to JSON at the edge). Plain value.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"

namespace hami::vendor::nvidia {

struct NvidiaConfig {
  // WIRE: resource names, configurable as upstream.
  std::string resource_count_name = "nvidia.com/gpu";
  std::string resource_memory_name = "nvidia.com/gpumem";
  std::string resource_memory_percentage_name = "nvidia.com/gpumem-percentage";
  std::string resource_core_name = "nvidia.com/gpucores";
  std::string resource_priority_name = "nvidia.com/priority";
  bool overwrite_env = false;
  int64_t default_memory = 0;  // MiB
  int64_t default_cores = 0;   // percent
  int64_t default_gpu_num = 1;
  int64_t memory_factor = 1;   // <= 1 means 1
  int32_t device_split_count = 10;
  double device_memory_scaling = 1.0;
  double device_core_scaling = 1.0;
  int64_t preconfigured_device_memory = 0;
  bool enable_numa_topology = false;
  std::string gpu_core_policy = "default";
  int32_t lib_cuda_log_level = 1;
  std::string runtime_class_name;
  bool disable_core_limit = false;

  int64_t EffectiveMemoryFactor() const { return memory_factor > 1 ? memory_factor : 1; }
};

// Reads the keys present in `nvidia` (upstream's camelCase names); absent keys keep defaults.
// Wrong JSON types are an InvalidArgument naming the key.
base::Result<NvidiaConfig> NvidiaConfigFromJson(const nlohmann::json& nvidia);

}  // namespace hami::vendor::nvidia
