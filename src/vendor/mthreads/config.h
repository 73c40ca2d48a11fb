// The `mthreads:` block of HAMi's device-config.yaml (vendors.md §7) merged with the scheduler's
// --mthreads-{name,memory,cores} flags: a name set in the block wins; an absent or empty one keeps
// the flag's value. `memoryPerCard` lists each card model's memory in 512 MiB units; the legal
// sgpu-memory values are the union, over those models, of the powers of two from 2 below the
// card's size plus the size itself. Plain value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "vendor/mthreads/wire.h"
#include "vendor/registry.h"

namespace hami::vendor::mthreads {

struct MthreadsConfig {
  std::string resource_count_name = kDefaultCountResource;
  std::string resource_memory_name = kDefaultMemoryResource;
  std::string resource_core_name = kDefaultCoreResource;
  std::vector<int64_t> memory_per_card = {kDefaultMemoryPerCard};

  // Sorted, without duplicates: [2, 4, 8, 16, 32, 64, 96] for the default [96].
  std::vector<int64_t> LegalMemoryValues() const;
};

// Wrong types and memoryPerCard entries outside 2..4194303 are an InvalidArgument naming the key;
// unknown keys are appended to `warnings`.
base::Result<MthreadsConfig> MthreadsConfigFrom(const nlohmann::json& block,
                                                const FlagValues& flags,
                                                std::vector<std::string>* warnings);

std::vector<FlagSpec> MthreadsFlags();

}  // namespace hami::vendor::mthreads
