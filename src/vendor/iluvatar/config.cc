#include "vendor/iluvatar/config.h"

#include <set>

#include <nlohmann/json.hpp>

#include "codec/json_util.h"
#include "vendor/config_block.h"
#include "vendor/iluvatar/wire.h"

namespace hami::vendor::iluvatar {

IluvatarChip ChipNamed(const std::string& common_word) {
  return {common_word, common_word, Join(kResourcePrefix, common_word, kCountSuffix),
          Join(kResourcePrefix, common_word, kMemorySuffix),
          Join(kResourcePrefix, common_word, kCoreSuffix)};
}

std::vector<IluvatarChip> DefaultChips() {
  return {ChipNamed("MR-V100"), ChipNamed("MR-V50"), ChipNamed("BI-V150"), ChipNamed("BI-V100")};
}

namespace {

base::Result<IluvatarChip> ChipFrom(const nlohmann::json& entry, const std::string& path,
                                    std::vector<std::string>* warnings) {
  ConfigBlock b(entry, path);
  HAMI_RETURN_IF_ERROR(b.Check());
  std::string common_word;
  HAMI_RETURN_IF_ERROR(b.String("commonWord", &common_word));
  if (common_word.empty()) {
    return base::InvalidArgument("device config: " + path + ".commonWord: must be set");
  }
  IluvatarChip chip = ChipNamed(common_word);
  HAMI_RETURN_IF_ERROR(b.String("chipName", &chip.chip_name));
  HAMI_RETURN_IF_ERROR(b.String("resourceCountName", &chip.resource_count_name));
  HAMI_RETURN_IF_ERROR(b.String("resourceMemoryName", &chip.resource_memory_name));
  HAMI_RETURN_IF_ERROR(b.String("resourceCoreName", &chip.resource_core_name));
  if (chip.resource_count_name.empty()) {
    return base::InvalidArgument("device config: " + path +
                                 ".resourceCountName: must not be empty");
  }
  if (warnings != nullptr) b.WarnUnknown(warnings);
  return chip;
}

}  // namespace

base::Result<std::vector<IluvatarChip>> IluvatarChipsFrom(const nlohmann::json& iluvatars,
                                                          std::vector<std::string>* warnings) {
  if (iluvatars.is_null()) return DefaultChips();
  if (!iluvatars.is_array()) {
    return base::InvalidArgument(std::string("device config: ") + kConfigBlock +
                                 ": expected a list of chips, got " + codec::DumpJson(iluvatars));
  }
  std::vector<IluvatarChip> chips;
  std::set<std::string> seen;
  for (size_t i = 0; i < iluvatars.size(); ++i) {
    const std::string path = std::string(kConfigBlock) + "[" + std::to_string(i) + "]";
    HAMI_ASSIGN_OR_RETURN(IluvatarChip chip, ChipFrom(iluvatars[i], path, warnings));
    if (!seen.insert(chip.common_word).second) {
      return base::InvalidArgument("device config: " + path + ".commonWord: " + chip.common_word +
                                   " is configured twice");
    }
    chips.push_back(std::move(chip));
  }
  return chips;
}

}  // namespace hami::vendor::iluvatar
