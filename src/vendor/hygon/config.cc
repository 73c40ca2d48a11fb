#include "vendor/hygon/config.h"

#include <nlohmann/json.hpp>

#include "vendor/config_block.h"

namespace hami::vendor::hygon {
namespace {

void FromFlag(const FlagValues& flags, const char* name, std::string* out) {
  auto it = flags.find(name);
  if (it != flags.end()) *out = it->second;
}

base::Status NotEmpty(const char* key, const char* flag, const std::string& value) {
  if (!value.empty()) return {};
  return base::InvalidArgument(std::string("device config: ") + kConfigBlock + "." + key +
                               " (flag --" + flag + "): must name a resource");
}

}  // namespace

base::Result<HygonConfig> HygonConfigFrom(const nlohmann::json& hygon, const FlagValues& flags,
                                          std::vector<std::string>* warnings) {
  HygonConfig c;
  FromFlag(flags, kCountFlag, &c.resource_count_name);
  FromFlag(flags, kMemoryFlag, &c.resource_memory_name);
  FromFlag(flags, kCoreFlag, &c.resource_core_name);
  ConfigBlock b(hygon, kConfigBlock);
  HAMI_RETURN_IF_ERROR(b.Check());
  HAMI_RETURN_IF_ERROR(b.String("resourceCountName", &c.resource_count_name));
  HAMI_RETURN_IF_ERROR(b.String("resourceMemoryName", &c.resource_memory_name));
  HAMI_RETURN_IF_ERROR(b.String("resourceCoreName", &c.resource_core_name));
  HAMI_RETURN_IF_ERROR(b.Int("memoryFactor", &c.memory_factor));
  if (warnings != nullptr) b.WarnUnknown(warnings);
  HAMI_RETURN_IF_ERROR(NotEmpty("resourceCountName", kCountFlag, c.resource_count_name));
  HAMI_RETURN_IF_ERROR(NotEmpty("resourceMemoryName", kMemoryFlag, c.resource_memory_name));
  HAMI_RETURN_IF_ERROR(NotEmpty("resourceCoreName", kCoreFlag, c.resource_core_name));
  return c;
}

}  // namespace hami::vendor::hygon
