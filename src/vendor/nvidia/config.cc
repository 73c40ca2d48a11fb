#include "vendor/nvidia/config.h"

#include <nlohmann/json.hpp>

namespace hami::vendor::nvidia {
namespace {

template <typename T>
base::Status Read(const nlohmann::json& obj, const char* key, T* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  try {
    if constexpr (std::is_same_v<T, bool>) {
      // Helm renders some booleans as strings ("false"); accept both.
      if (it->is_string()) {
        const std::string& v = it->template get_ref<const std::string&>();
        if (v != "true" && v != "false") throw nlohmann::json::type_error::create(302, "", nullptr);
        *out = v == "true";
        return {};
      }
    }
    *out = it->template get<T>();
  } catch (const nlohmann::json::exception&) {
    return base::InvalidArgument(std::string("nvidia.") + key + ": unexpected value " +
                                 it->dump());
  }
  return {};
}

}  // namespace

base::Result<NvidiaConfig> NvidiaConfigFromJson(const nlohmann::json& nvidia) {
  NvidiaConfig c;
  if (nvidia.is_null()) return c;
  if (!nvidia.is_object()) return base::InvalidArgument("nvidia: expected a mapping");
  HAMI_RETURN_IF_ERROR(Read(nvidia, "resourceCountName", &c.resource_count_name));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "resourceMemoryName", &c.resource_memory_name));
  HAMI_RETURN_IF_ERROR(
      Read(nvidia, "resourceMemoryPercentageName", &c.resource_memory_percentage_name));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "resourceCoreName", &c.resource_core_name));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "resourcePriorityName", &c.resource_priority_name));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "overwriteEnv", &c.overwrite_env));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "defaultMemory", &c.default_memory));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "defaultCores", &c.default_cores));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "defaultGPUNum", &c.default_gpu_num));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "memoryFactor", &c.memory_factor));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "deviceSplitCount", &c.device_split_count));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "deviceMemoryScaling", &c.device_memory_scaling));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "deviceCoreScaling", &c.device_core_scaling));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "preConfiguredDeviceMemory", &c.preconfigured_device_memory));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "enableNumaTopology", &c.enable_numa_topology));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "gpuCorePolicy", &c.gpu_core_policy));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "libCudaLogLevel", &c.lib_cuda_log_level));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "runtimeClassName", &c.runtime_class_name));
  HAMI_RETURN_IF_ERROR(Read(nvidia, "disableCoreLimit", &c.disable_core_limit));
  if (c.default_gpu_num < 0) return base::InvalidArgument("nvidia.defaultGPUNum: must be >= 0");
  if (c.device_split_count < 1) return base::InvalidArgument("nvidia.deviceSplitCount: must be >= 1");
  return c;
}

}  // namespace hami::vendor::nvidia
