#include "vendor/awsneuron/config.h"

#include <nlohmann/json.hpp>

#include "vendor/config_block.h"

namespace hami::vendor::awsneuron {

base::Result<AwsNeuronConfig> AwsNeuronConfigFromJson(const nlohmann::json& block,
                                                      std::vector<std::string>* warnings) {
  AwsNeuronConfig c;
  ConfigBlock b(block, "awsneuron");
  HAMI_RETURN_IF_ERROR(b.Check());
  HAMI_RETURN_IF_ERROR(b.String("resourceCountName", &c.resource_count_name));
  HAMI_RETURN_IF_ERROR(b.String("resourceCoreName", &c.resource_core_name));
  if (warnings != nullptr) b.WarnUnknown(warnings);
  return c;
}

}  // namespace hami::vendor::awsneuron
