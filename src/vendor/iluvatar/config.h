// The `iluvatars:` list of HAMi's device-config.yaml (vendors.md §6): one entry per Iluvatar chip,
// each becoming its own backend keyed by its CommonWord. Plain values.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"

namespace hami::vendor::iluvatar {

struct IluvatarChip {
  std::string chip_name;    // read, never used by the scheduler (the device plugin matches it)
  std::string common_word;  // WIRE: the vendor key, e.g. "BI-V150"
  std::string resource_count_name;
  std::string resource_memory_name;  // units of 256 MiB
  std::string resource_core_name;    // percent of one device
};

// Upstream's built-in list: MR-V100, MR-V50, BI-V150, BI-V100 with their default names.
std::vector<IluvatarChip> DefaultChips();

// A chip with every resource name derived from `common_word` ("iluvatar.ai/<cw>-vgpu", ...).
IluvatarChip ChipNamed(const std::string& common_word);

// `iluvatars` absent or null: DefaultChips(). A list: one chip per entry (an empty list builds
// none). An entry must name its commonWord; a resource name it leaves out is derived from the
// commonWord. Wrong types and duplicate commonWords are InvalidArgument errors naming the entry;
// unknown keys are appended to `warnings`.
base::Result<std::vector<IluvatarChip>> IluvatarChipsFrom(const nlohmann::json& iluvatars,
                                                          std::vector<std::string>* warnings);

}  // namespace hami::vendor::iluvatar
