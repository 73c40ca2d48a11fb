// The `metax:` block of HAMi's device-config.yaml (vendors.md §8) merged with the scheduler's
// --metax-* and --sgpu-topology-aware flags: a value set in the block wins; an absent (or, for
// names, empty) one keeps the flag's value. One block configures both MetaX backends. Plain value.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "vendor/metax/wire.h"
#include "vendor/registry.h"

namespace hami::vendor::metax {

struct MetaxConfig {
  std::string resource_count_name = kDefaultCountResource;      // Metax-GPU: whole cards
  std::string resource_vcount_name = kDefaultVCountResource;    // Metax-SGPU: shares
  std::string resource_vmemory_name = kDefaultVMemoryResource;  // GiB, or bytes with a unit
  std::string resource_vcore_name = kDefaultVCoreResource;      // percent of one card
  bool sgpu_topology_aware = false;  // MetaXLink-aware node score for exclusive sGPU pods
};

// Wrong types are an InvalidArgument naming the key or flag; unknown keys are appended to
// `warnings`.
base::Result<MetaxConfig> MetaxConfigFrom(const nlohmann::json& block, const FlagValues& flags,
                                          std::vector<std::string>* warnings);

std::vector<FlagSpec> MetaxFlags();

}  // namespace hami::vendor::metax
