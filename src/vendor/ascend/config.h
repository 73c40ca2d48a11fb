// The `vnpus:` block of HAMi's device-config.yaml (vendors.md §3): whether nodes default to the
// hami-core soft split, and one entry per Ascend chip (each its own backend, keyed by its
// CommonWord) with its resource names, memory sizes and vNPU templates. Plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"

namespace hami::vendor::ascend {

// One vNPU template: a fixed slice of a chip (hard split).
struct AscendTemplate {
  std::string name;     // WIRE: e.g. "vir02", "vir05_1c_16g" (the plugin's ASCEND_VNPU_SPECS)
  int64_t memory = 0;   // MiB
  int32_t ai_core = 0;  // read, never used by the scheduler
  int32_t ai_cpu = 0;   // read, never used by the scheduler
};

// A template chosen for a memory request: its size, and its name ("" = the whole chip).
struct TrimmedMemory {
  int64_t memory = 0;
  std::string name;
};

struct AscendChip {
  std::string chip_name;      // read, never used by the scheduler (the device plugin matches it)
  std::string common_word;    // WIRE: the vendor key, e.g. "Ascend910B3"
  std::string resource_name;  // count
  std::string resource_memory_name;       // MiB
  std::string resource_core_name;         // percent; "" = none (the built-in default has none)
  int64_t memory_allocatable = 0;         // MiB a whole chip books
  int64_t memory_capacity = 0;            // MiB; larger memory requests are invalid
  int64_t memory_factor = 0;              // <= 1 means 1
  int32_t ai_core = 0;                    // read, never used by the scheduler
  int32_t ai_cpu = 0;                     // read, never used by the scheduler
  std::string runtime_class_name;         // written into pods that use the chip, when unset
  bool overwrite_env = false;             // hide NPUs from containers that ask for none
  bool super_pod = false;                 // 910C SuperPod: one NPU is rounded up to a module of two
  std::vector<AscendTemplate> templates;  // sorted by memory, ascending

  int64_t EffectiveMemoryFactor() const { return memory_factor > 1 ? memory_factor : 1; }
  // Upstream's trimMemory: the first template holding `mib`, else the whole chip
  // (memoryAllocatable) when `mib` <= memoryCapacity; nullopt when neither holds it.
  std::optional<TrimmedMemory> Trim(int64_t mib) const;
};

struct AscendConfig {
  bool hami_vnpu_core = false;  // nodes without a `hami-vnpu-core` annotation run hami-core
  std::vector<AscendChip> chips;
};

// Upstream's built-in chips (910A, 910B2, 910B3, 910B4, 310P3): without core resource names or
// memoryFactor, and without 910B4-1 or 910C, which only the Helm chart adds.
std::vector<AscendChip> DefaultChips();

// `vnpus` absent or null: DefaultChips(). An object: `hamiVnpuCore`, `configs` (absent or null =
// DefaultChips(), an empty list = no chip) and, as later upstream versions place them,
// `overwriteEnv` / `runtimeClassName` for every entry that does not set its own. A list: the
// `configs` of older charts. An entry must name its commonWord; resource names it leaves out are
// derived from it ("huawei.com/<cw>", "huawei.com/<cw>-memory"). Wrong types, negative sizes,
// unnamed templates and duplicate commonWords are InvalidArgument errors naming the key; unknown
// keys are appended to `warnings`.
base::Result<AscendConfig> AscendConfigFrom(const nlohmann::json& vnpus,
                                            std::vector<std::string>* warnings);

}  // namespace hami::vendor::ascend
