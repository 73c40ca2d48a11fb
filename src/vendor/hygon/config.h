// The `hygon:` block of HAMi's device-config.yaml and the --dcu-* scheduler flags (vendors.md §5),
// with upstream's defaults. Plain value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "vendor/hygon/wire.h"
#include "vendor/registry.h"

namespace hami::vendor::hygon {

struct HygonConfig {
  // WIRE: resource names, configurable as upstream.
  std::string resource_count_name = kDefaultCountResource;
  std::string resource_memory_name = kDefaultMemoryResource;
  std::string resource_core_name = kDefaultCoreResource;
  int64_t memory_factor = 1;  // <= 1 means 1

  int64_t EffectiveMemoryFactor() const { return memory_factor > 1 ? memory_factor : 1; }
};

// Flags first (--dcu-name, --dcu-memory, --dcu-cores; absent flags keep the defaults), then the
// keys present in `hygon` override them, as upstream's config copies over its flag variables.
// A key that is present but empty is an error (upstream would then match no resource at all).
// Wrong types are an InvalidArgument naming the key; unknown keys are appended to `warnings`.
base::Result<HygonConfig> HygonConfigFrom(const nlohmann::json& hygon, const FlagValues& flags,
                                          std::vector<std::string>* warnings = nullptr);

}  // namespace hami::vendor::hygon
