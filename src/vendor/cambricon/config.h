// The `cambricon:` block of HAMi's device-config.yaml (vendors.md §4) merged with the scheduler's
// --cambricon-mlu-* flags: a name set in the block wins; an absent or empty one keeps the flag's
// value (whose default is upstream's flag default). Plain value.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "vendor/registry.h"

namespace hami::vendor::cambricon {

struct CambriconConfig {
  std::string resource_count_name;   // WIRE: e.g. cambricon.com/vmlu
  std::string resource_memory_name;  // WIRE: units of 256 MiB
  std::string resource_core_name;    // WIRE: percent of one card
};

// Wrong types are an InvalidArgument naming the key; unknown keys are appended to `warnings`.
base::Result<CambriconConfig> CambriconConfigFrom(const nlohmann::json& block,
                                                  const FlagValues& flags,
                                                  std::vector<std::string>* warnings);

// The flags this folder adds to hami-scheduler, with upstream's names and defaults.
std::vector<FlagSpec> CambriconFlags();

}  // namespace hami::vendor::cambricon
