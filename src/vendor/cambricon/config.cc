#include "vendor/cambricon/config.h"

#include <nlohmann/json.hpp>

#include "vendor/cambricon/wire.h"
#include "vendor/config_block.h"

namespace hami::vendor::cambricon {
std::vector<FlagSpec> CambriconFlags() {
  return {{kFlagCountName, kDefaultCountResource, "Cambricon MLU count resource name", false},
          {kFlagMemoryName, kDefaultMemoryResource, "Cambricon MLU memory resource name", false},
          {kFlagCoreName, kDefaultCoreResource, "Cambricon MLU core resource name", false}};
}

base::Result<CambriconConfig> CambriconConfigFrom(const nlohmann::json& block,
                                                  const FlagValues& flags,
                                                  std::vector<std::string>* warnings) {
  CambriconConfig c;
  c.resource_count_name = FlagOr(flags, kFlagCountName, kDefaultCountResource);
  c.resource_memory_name = FlagOr(flags, kFlagMemoryName, kDefaultMemoryResource);
  c.resource_core_name = FlagOr(flags, kFlagCoreName, kDefaultCoreResource);
  ConfigBlock b(block, kConfigBlock);
  HAMI_RETURN_IF_ERROR(b.Check());
  HAMI_RETURN_IF_ERROR(b.Override(kConfigCountName, &c.resource_count_name));
  HAMI_RETURN_IF_ERROR(b.Override(kConfigMemoryName, &c.resource_memory_name));
  HAMI_RETURN_IF_ERROR(b.Override(kConfigCoreName, &c.resource_core_name));
  if (warnings != nullptr) b.WarnUnknown(warnings);
  return c;
}

}  // namespace hami::vendor::cambricon
