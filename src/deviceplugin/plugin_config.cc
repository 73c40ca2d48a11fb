#include "deviceplugin/plugin_config.h"

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace hami::deviceplugin {
namespace {

using Json = nlohmann::json;

base::Status TypeError(const std::string& where, const std::string& key, const char* want) {
  return base::InvalidArgument(where + ": \"" + key + "\" must be " + want);
}

// Reads `key` into `out` when present and of the wanted type; absent/null keeps `out`.
template <typename T>
base::Status Read(const Json& entry, const std::string& where, const std::string& key, T& out) {
  auto it = entry.find(key);
  if (it == entry.end() || it->is_null()) return {};
  if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return TypeError(where, key, "a boolean");
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return TypeError(where, key, "a string");
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!it->is_number()) return TypeError(where, key, "a number");
  } else {
    if (!it->is_number_integer()) return TypeError(where, key, "an integer");
  }
  out = it->get<T>();
  return {};
}

base::Status ApplyFilter(const Json& entry, const std::string& where, PluginConfig& config) {
  auto it = entry.find("filterdevices");
  if (it == entry.end() || it->is_null()) return {};
  if (!it->is_object()) return TypeError(where, "filterdevices", "an object");
  std::vector<std::string> uuids;
  std::vector<int32_t> indices;
  if (auto u = it->find("uuid"); u != it->end() && !u->is_null()) {
    if (!u->is_array()) return TypeError(where, "filterdevices.uuid", "an array of strings");
    for (const auto& v : *u) {
      if (!v.is_string()) return TypeError(where, "filterdevices.uuid", "an array of strings");
      uuids.push_back(v.get<std::string>());
    }
  }
  if (auto x = it->find("index"); x != it->end() && !x->is_null()) {
    if (!x->is_array()) return TypeError(where, "filterdevices.index", "an array of integers");
    for (const auto& v : *x) {
      if (!v.is_number_integer()) {
        return TypeError(where, "filterdevices.index", "an array of integers");
      }
      indices.push_back(v.get<int32_t>());
    }
  }
  config.filter_uuids = std::move(uuids);
  config.filter_indices = std::move(indices);
  return {};
}

base::Status ApplyEntry(const Json& entry, const std::string& where, PluginConfig& config) {
  std::string mode, log_level, mig;
  double mem_scaling = 0, core_scaling = 0;
  int64_t split = 0, preconfigured = 0;
  bool numa = false, preferred = false;
  HAMI_RETURN_IF_ERROR(Read(entry, where, "operatingmode", mode));
  HAMI_RETURN_IF_ERROR(Read(entry, where, "devicememoryscaling", mem_scaling));
  HAMI_RETURN_IF_ERROR(Read(entry, where, "devicecorescaling", core_scaling));
  HAMI_RETURN_IF_ERROR(Read(entry, where, "devicesplitcount", split));
  HAMI_RETURN_IF_ERROR(Read(entry, where, "preconfigureddevicememory", preconfigured));
  HAMI_RETURN_IF_ERROR(Read(entry, where, "libcudaloglevel", log_level));
  HAMI_RETURN_IF_ERROR(Read(entry, where, "enablenumatopology", numa));
  HAMI_RETURN_IF_ERROR(Read(entry, where, "migstrategy", mig));
  HAMI_RETURN_IF_ERROR(Read(entry, where, "enablegetpreferredallocation", preferred));
  HAMI_RETURN_IF_ERROR(ApplyFilter(entry, where, config));
  if (!mode.empty()) config.operating_mode = mode;
  if (mem_scaling > 0) config.memory_scaling = mem_scaling;
  if (core_scaling > 0) config.core_scaling = core_scaling;
  if (split > 0) {
    if (split > INT32_MAX) return base::InvalidArgument(where + ": devicesplitcount too large");
    config.split_count = static_cast<int32_t>(split);
  }
  if (preconfigured > 0) config.preconfigured_memory_mib = preconfigured;
  if (!log_level.empty()) config.lib_cuda_log_level = log_level;
  if (numa) config.enable_numa_topology = true;
  if (!mig.empty()) config.mig_strategy = mig;
  if (preferred) config.enable_preferred_allocation = true;
  return {};
}

}  // namespace

PluginConfig FromNvidiaConfig(const vendor::nvidia::NvidiaConfig& nvidia, std::string node_name) {
  PluginConfig config;
  config.node_name = std::move(node_name);
  config.resource_name = nvidia.resource_count_name;
  config.split_count = nvidia.device_split_count;
  config.memory_scaling = nvidia.device_memory_scaling;
  config.core_scaling = nvidia.device_core_scaling;
  config.preconfigured_memory_mib = nvidia.preconfigured_device_memory;
  config.enable_numa_topology = nvidia.enable_numa_topology;
  config.lib_cuda_log_level = std::to_string(nvidia.lib_cuda_log_level);
  config.disable_core_limit = nvidia.disable_core_limit;
  config.mig_profile_allowlist = nvidia.mig_profile_allowlist;
  return config;
}

base::Result<PluginConfig> ApplyNodeConfigJson(PluginConfig config, std::string_view json_text) {
  Json doc = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return base::InvalidArgument("node config: not valid JSON");
  if (!doc.is_object()) return base::InvalidArgument("node config: want a JSON object");
  auto list = doc.find("nodeconfig");
  if (list == doc.end() || list->is_null()) return config;
  if (!list->is_array())
    return base::InvalidArgument("node config: \"nodeconfig\" must be an array");
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& entry = (*list)[i];
    const std::string where = "node config: nodeconfig[" + std::to_string(i) + "]";
    if (!entry.is_object()) return base::InvalidArgument(where + ": want an object");
    auto name = entry.find("name");
    if (name == entry.end() || !name->is_string()) {
      return base::InvalidArgument(where + ": \"name\" must be a string");
    }
    if (name->get<std::string>() != config.node_name) continue;
    HAMI_RETURN_IF_ERROR(ApplyEntry(entry, where, config));
  }
  HAMI_RETURN_IF_ERROR(Validate(config));
  return config;
}

base::Status Validate(const PluginConfig& config) {
  if (config.split_count < 1) return base::InvalidArgument("device split count must be >= 1");
  if (!(config.memory_scaling > 0))
    return base::InvalidArgument("device memory scaling must be > 0");
  if (!(config.core_scaling > 0)) return base::InvalidArgument("device core scaling must be > 0");
  const std::string& m = config.operating_mode;
  if (m != "hami-core" && m != "mps" && m != "mig") {
    return base::InvalidArgument("operating mode \"" + m + "\": want hami-core, mps or mig");
  }
  const std::string& s = config.mig_strategy;
  if (s != "none" && s != "single" && s != "mixed") {
    return base::InvalidArgument("MIG strategy \"" + s + "\": want none, single or mixed");
  }
  return {};
}

}  // namespace hami::deviceplugin
