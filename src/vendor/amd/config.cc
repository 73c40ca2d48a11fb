#include "vendor/amd/config.h"

#include <nlohmann/json.hpp>

#include "vendor/config_block.h"

namespace hami::vendor::amd {

base::Result<AmdConfig> AmdConfigFromJson(const nlohmann::json& block,
                                          std::vector<std::string>* warnings) {
  AmdConfig c;
  ConfigBlock b(block, "amd");
  HAMI_RETURN_IF_ERROR(b.Check());
  HAMI_RETURN_IF_ERROR(b.String("resourceCountName", &c.resource_count_name));
  HAMI_RETURN_IF_ERROR(b.String("resourceMemoryName", &c.resource_memory_name));
  HAMI_RETURN_IF_ERROR(b.String("resourceCoreName", &c.resource_core_name));
  if (warnings != nullptr) b.WarnUnknown(warnings);
  return c;
}

}  // namespace hami::vendor::amd
