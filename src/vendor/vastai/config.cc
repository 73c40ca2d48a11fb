#include "vendor/vastai/config.h"

#include <nlohmann/json.hpp>

#include "vendor/config_block.h"

namespace hami::vendor::vastai {

base::Result<CountConfig> CountConfigFromJson(const nlohmann::json& block, const std::string& path,
                                              const std::string& default_count,
                                              std::vector<std::string>* warnings) {
  CountConfig c{default_count};
  ConfigBlock b(block, path);
  HAMI_RETURN_IF_ERROR(b.Check());
  HAMI_RETURN_IF_ERROR(b.String("resourceCountName", &c.resource_count_name));
  if (warnings != nullptr) b.WarnUnknown(warnings);
  return c;
}

}  // namespace hami::vendor::vastai
