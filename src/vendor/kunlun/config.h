// The `kunlun:` block of HAMi's device-config.yaml (vendors.md §10) with the scheduler flags
// --kunlun-name, --kunlun-vcount and --kunlun-vmemory. A key set in the block wins over its flag;
// an absent or empty key keeps the flag's value (upstream copies even an empty key over the
// flag, leaving the resource nameless). Plain value.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "vendor/kunlun/wire.h"
#include "vendor/registry.h"

namespace hami::vendor::kunlun {

struct KunlunConfig {
  std::string count_name = kDefaultCountResource;      // whole cards
  std::string vcount_name = kDefaultVCountResource;    // vXPUs
  std::string vmemory_name = kDefaultVMemoryResource;  // vXPU memory, MiB
};

// Wrong types are an InvalidArgument naming the key; unknown keys are appended to `warnings`.
base::Result<KunlunConfig> KunlunConfigFrom(const nlohmann::json& block, const FlagValues& flags,
                                            std::vector<std::string>* warnings);

// The flags this folder adds, with upstream's names and defaults.
std::vector<FlagSpec> KunlunFlags();

}  // namespace hami::vendor::kunlun
