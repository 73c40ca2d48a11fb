// The `enflame:` block of HAMi's device-config.yaml (vendors.md §9) with the --enflame-* flags;
// it names the resources of both Enflame backends. A key set in the block wins over its flag; an
// absent or empty key keeps the flag's value, and the DRS names fall back to their defaults
// (upstream copies even an empty resourceNameGCU over the flag). The DRS count name is, in order:
// resourceNameDRSGCU, resourceNameVGCU, --enflame-drs-gcu-resource-name,
// --enflame-vgcu-resource-name, enflame.com/drs-gcu. Plain value.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "vendor/enflame/wire.h"
#include "vendor/registry.h"

namespace hami::vendor::enflame {

struct EnflameConfig {
  std::string gcu_name = kDefaultGcuResource;        // whole GCUs
  std::string drs_name = kDefaultDrsResource;        // DRS slices (a profile's size)
  std::string memory_name = kDefaultMemoryResource;  // DRS by spec: MiB
  std::string core_name = kDefaultCoreResource;      // DRS by spec: percent
};

// Wrong types are an InvalidArgument naming the key; unknown keys, the unused
// resourceNameVGCUPercentage and the unused legacy flags (when changed) are appended to `warnings`.
base::Result<EnflameConfig> EnflameConfigFrom(const nlohmann::json& block, const FlagValues& flags,
                                              std::vector<std::string>* warnings);

// The flags this folder adds, with upstream's names and defaults.
std::vector<FlagSpec> EnflameFlags();

}  // namespace hami::vendor::enflame
