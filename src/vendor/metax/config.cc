#include "vendor/metax/config.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "base/strings.h"
#include "vendor/config_block.h"

namespace hami::vendor::metax {
std::vector<FlagSpec> MetaxFlags() {
  return {{kFlagCountName, kDefaultCountResource, "MetaX whole-GPU count resource name", false},
          {kFlagVCountName, kDefaultVCountResource, "MetaX sGPU count resource name", false},
          {kFlagVCoreName, kDefaultVCoreResource, "MetaX sGPU core resource name", false},
          {kFlagVMemoryName, kDefaultVMemoryResource, "MetaX sGPU memory resource name", false},
          {kFlagTopologyAware, "false", "MetaX sGPU topology-aware node score", true}};
}

base::Result<MetaxConfig> MetaxConfigFrom(const nlohmann::json& block, const FlagValues& flags,
                                          std::vector<std::string>* warnings) {
  MetaxConfig c;
  c.resource_count_name = FlagOr(flags, kFlagCountName, kDefaultCountResource);
  c.resource_vcount_name = FlagOr(flags, kFlagVCountName, kDefaultVCountResource);
  c.resource_vcore_name = FlagOr(flags, kFlagVCoreName, kDefaultVCoreResource);
  c.resource_vmemory_name = FlagOr(flags, kFlagVMemoryName, kDefaultVMemoryResource);
  HAMI_ASSIGN_OR_RETURN(c.sgpu_topology_aware, BoolFlagOr(flags, kFlagTopologyAware, false));
  ConfigBlock b(block, kConfigBlock);
  HAMI_RETURN_IF_ERROR(b.Check());
  HAMI_RETURN_IF_ERROR(b.Override(kConfigCountName, &c.resource_count_name));
  HAMI_RETURN_IF_ERROR(b.Override(kConfigVCountName, &c.resource_vcount_name));
  HAMI_RETURN_IF_ERROR(b.Override(kConfigVMemoryName, &c.resource_vmemory_name));
  HAMI_RETURN_IF_ERROR(b.Override(kConfigVCoreName, &c.resource_vcore_name));
  HAMI_RETURN_IF_ERROR(b.Bool(kConfigTopologyAware, &c.sgpu_topology_aware));
  if (warnings != nullptr) b.WarnUnknown(warnings);
  return c;
}

}  // namespace hami::vendor::metax
