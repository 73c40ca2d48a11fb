// The `amd:` block of HAMi's device-config.yaml (vendors.md §12), with the chart's defaults.
// Plain value.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "vendor/amd/wire.h"

namespace hami::vendor::amd {

struct AmdConfig {
  // WIRE: resource names, configurable as upstream ("" = that resource is not read).
  std::string resource_count_name = kDefaultCountResource;
  std::string resource_memory_name = kDefaultMemoryResource;  // MiB
  std::string resource_core_name = kDefaultCoreResource;      // percent of the device's CUs
};

// Reads the keys present in `block` (null = defaults). Wrong types are an InvalidArgument naming
// the key; unknown keys are appended to `warnings` (when given) by name.
base::Result<AmdConfig> AmdConfigFromJson(const nlohmann::json& block,
                                          std::vector<std::string>* warnings);

}  // namespace hami::vendor::amd
