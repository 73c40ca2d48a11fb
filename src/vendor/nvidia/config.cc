#include "vendor/nvidia/config.h"

#include <nlohmann/json.hpp>

#include "vendor/config_block.h"

namespace hami::vendor::nvidia {

base::Result<NvidiaConfig> NvidiaConfigFromJson(const nlohmann::json& nvidia,
                                                std::vector<std::string>* warnings) {
  NvidiaConfig c;
  ConfigBlock b(nvidia, "nvidia");
  HAMI_RETURN_IF_ERROR(b.Check());
  HAMI_RETURN_IF_ERROR(b.String("resourceCountName", &c.resource_count_name));
  HAMI_RETURN_IF_ERROR(b.String("resourceMemoryName", &c.resource_memory_name));
  HAMI_RETURN_IF_ERROR(
      b.String("resourceMemoryPercentageName", &c.resource_memory_percentage_name));
  HAMI_RETURN_IF_ERROR(b.String("resourceCoreName", &c.resource_core_name));
  HAMI_RETURN_IF_ERROR(b.String("resourcePriorityName", &c.resource_priority_name));
  HAMI_RETURN_IF_ERROR(b.Bool("overwriteEnv", &c.overwrite_env));
  HAMI_RETURN_IF_ERROR(b.Int("defaultMemory", &c.default_memory));
  HAMI_RETURN_IF_ERROR(b.Int("defaultCores", &c.default_cores));
  HAMI_RETURN_IF_ERROR(b.Int("defaultGPUNum", &c.default_gpu_num));
  HAMI_RETURN_IF_ERROR(b.Int("memoryFactor", &c.memory_factor));
  HAMI_RETURN_IF_ERROR(b.Int("deviceSplitCount", &c.device_split_count));
  HAMI_RETURN_IF_ERROR(b.Double("deviceMemoryScaling", &c.device_memory_scaling));
  HAMI_RETURN_IF_ERROR(b.Double("deviceCoreScaling", &c.device_core_scaling));
  HAMI_RETURN_IF_ERROR(b.Int("preConfiguredDeviceMemory", &c.preconfigured_device_memory));
  HAMI_RETURN_IF_ERROR(b.Bool("enableNumaTopology", &c.enable_numa_topology));
  HAMI_RETURN_IF_ERROR(b.String("gpuCorePolicy", &c.gpu_core_policy));
  HAMI_RETURN_IF_ERROR(b.Int("libCudaLogLevel", &c.lib_cuda_log_level));
  HAMI_RETURN_IF_ERROR(b.String("runtimeClassName", &c.runtime_class_name));
  HAMI_RETURN_IF_ERROR(b.Bool("disableCoreLimit", &c.disable_core_limit));
  HAMI_ASSIGN_OR_RETURN(auto allowlist, ListOf(b, "migProfileAllowlist"));
  for (size_t i = 0; i < allowlist.size(); ++i) {
    ConfigBlock entry(allowlist[i], "nvidia.migProfileAllowlist[" + std::to_string(i) + "]");
    HAMI_RETURN_IF_ERROR(entry.Check());
    MigAllowlistEntry e;
    HAMI_RETURN_IF_ERROR(entry.Strings("models", &e.models));
    HAMI_RETURN_IF_ERROR(entry.Strings("profiles", &e.profiles));
    if (warnings != nullptr) entry.WarnUnknown(warnings);
    c.mig_profile_allowlist.push_back(std::move(e));
  }
  if (warnings != nullptr) b.WarnUnknown(warnings);
  if (c.default_gpu_num < 0) return base::InvalidArgument("nvidia.defaultGPUNum: must be >= 0");
  if (c.device_split_count < 1)
    return base::InvalidArgument("nvidia.deviceSplitCount: must be >= 1");
  return c;
}

}  // namespace hami::vendor::nvidia
