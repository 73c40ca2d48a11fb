#include "vendor/enflame/config.h"

#include <nlohmann/json.hpp>
#include <set>

#include "vendor/config_block.h"

namespace hami::vendor::enflame {
namespace {

// The first non-empty of `candidates`.
std::string FirstSet(std::initializer_list<std::string> candidates) {
  for (const auto& c : candidates) {
    if (!c.empty()) return c;
  }
  return "";
}

void WarnUnused(const FlagValues& flags, const char* flag, const char* default_value,
                std::vector<std::string>* warnings) {
  const std::string value = FlagOr(flags, flag, "");
  if (value.empty() || value == default_value) return;
  warnings->push_back(std::string("flag --") + flag +
                      ": parsed for compatibility, not used by the scheduler, ignored");
}

}  // namespace

base::Result<EnflameConfig> EnflameConfigFrom(const nlohmann::json& block, const FlagValues& flags,
                                              std::vector<std::string>* warnings) {
  ConfigBlock b(block, kConfigBlock);
  HAMI_RETURN_IF_ERROR(b.Check());
  std::string gcu, drs, vgcu, memory, core, percentage;
  HAMI_RETURN_IF_ERROR(b.String(kGcuKey, &gcu));
  HAMI_RETURN_IF_ERROR(b.String(kDrsKey, &drs));
  HAMI_RETURN_IF_ERROR(b.String(kVgcuKey, &vgcu));
  HAMI_RETURN_IF_ERROR(b.String(kMemoryKey, &memory));
  HAMI_RETURN_IF_ERROR(b.String(kCoreKey, &core));
  HAMI_RETURN_IF_ERROR(b.String(kPercentageKey, &percentage));
  EnflameConfig c;
  c.gcu_name = FirstSet({gcu, FlagOr(flags, kGcuFlag, ""), kDefaultGcuResource});
  c.drs_name = FirstSet({drs, vgcu, FlagOr(flags, kDrsFlag, ""), FlagOr(flags, kDrsAliasFlag, ""),
                         kDefaultDrsResource});
  c.memory_name = FirstSet({memory, FlagOr(flags, kMemoryFlag, ""), kDefaultMemoryResource});
  c.core_name = FirstSet({core, FlagOr(flags, kCoreFlag, ""), kDefaultCoreResource});
  if (warnings != nullptr) {
    b.WarnUnknown(warnings);
    if (!percentage.empty()) {
      warnings->push_back(std::string("device config: ") + kConfigBlock + "." + kPercentageKey +
                          ": the retired shared-GCU API, not used by the scheduler, ignored");
    }
    WarnUnused(flags, kLegacyVgcuFlag, kLegacyVgcuResource, warnings);
    WarnUnused(flags, kLegacyPercentageFlag, kLegacyPercentageResource, warnings);
  }
  const std::set<std::string> distinct = {c.gcu_name, c.drs_name, c.memory_name, c.core_name};
  if (distinct.size() != 4) {
    return base::InvalidArgument(std::string("device config: ") + kConfigBlock +
                                 ": the GCU, DRS, memory and core resource names must differ (\"" +
                                 c.gcu_name + "\", \"" + c.drs_name + "\", \"" + c.memory_name +
                                 "\", \"" + c.core_name + "\")");
  }
  return c;
}

std::vector<FlagSpec> EnflameFlags() {
  return {
      {kGcuFlag, kDefaultGcuResource, "Enflame whole-GCU count resource name", false},
      {kDrsFlag, "", "Enflame DRS slice resource name (default enflame.com/drs-gcu)", false},
      {kDrsAliasFlag, "", "deprecated alias of --enflame-drs-gcu-resource-name", false},
      {kMemoryFlag, kDefaultMemoryResource, "Enflame DRS memory resource name (MiB)", false},
      {kCoreFlag, kDefaultCoreResource, "Enflame DRS core resource name (percent)", false},
      {kLegacyVgcuFlag, kLegacyVgcuResource, "retired shared-GCU count name (unused)", false},
      {kLegacyPercentageFlag, kLegacyPercentageResource,
       "retired shared-GCU percentage name (unused)", false},
  };
}

}  // namespace hami::vendor::enflame
