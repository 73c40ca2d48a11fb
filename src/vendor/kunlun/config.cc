#include "vendor/kunlun/config.h"

#include <nlohmann/json.hpp>

#include "vendor/config_block.h"

namespace hami::vendor::kunlun {
namespace {

// The block's key when set, else the flag, else the built-in default.
base::Status Resolve(ConfigBlock& block, const char* key, const FlagValues& flags, const char* flag,
                     const char* fallback, std::string* out) {
  *out = FlagOr(flags, flag, fallback);
  return block.Override(key, out);
}

}  // namespace

base::Result<KunlunConfig> KunlunConfigFrom(const nlohmann::json& block, const FlagValues& flags,
                                            std::vector<std::string>* warnings) {
  KunlunConfig c;
  ConfigBlock b(block, kConfigBlock);
  HAMI_RETURN_IF_ERROR(b.Check());
  HAMI_RETURN_IF_ERROR(
      Resolve(b, kCountKey, flags, kCountFlag, kDefaultCountResource, &c.count_name));
  HAMI_RETURN_IF_ERROR(
      Resolve(b, kVCountKey, flags, kVCountFlag, kDefaultVCountResource, &c.vcount_name));
  HAMI_RETURN_IF_ERROR(
      Resolve(b, kVMemoryKey, flags, kVMemoryFlag, kDefaultVMemoryResource, &c.vmemory_name));
  if (warnings != nullptr) b.WarnUnknown(warnings);
  if (c.count_name == c.vcount_name || c.count_name == c.vmemory_name ||
      c.vcount_name == c.vmemory_name) {
    return base::InvalidArgument(
        "device config: kunlun: resourceCountName, resourceVCountName and resourceVMemoryName "
        "must differ (\"" +
        c.count_name + "\", \"" + c.vcount_name + "\", \"" + c.vmemory_name + "\")");
  }
  return c;
}

std::vector<FlagSpec> KunlunFlags() {
  return {
      {kCountFlag, kDefaultCountResource, "Kunlunxin whole-XPU count resource name", false},
      {kVCountFlag, kDefaultVCountResource, "Kunlunxin vXPU count resource name", false},
      {kVMemoryFlag, kDefaultVMemoryResource, "Kunlunxin vXPU memory resource name (MiB)", false},
  };
}

}  // namespace hami::vendor::kunlun
