#include "vendor/ascend/module.h"

#include "vendor/ascend/ascend_vendor.h"

namespace hami::vendor::ascend {
namespace {

base::Result<std::vector<std::unique_ptr<Vendor>>> Create(const ModuleInput& input) {
  HAMI_ASSIGN_OR_RETURN(AscendConfig config, AscendConfigFrom(input.block, input.warnings));
  std::vector<std::unique_ptr<Vendor>> out;
  HAMI_ASSIGN_OR_RETURN(const bool enabled, BoolFlagOr(input.flags, kEnableFlag, false));
  if (!enabled) return out;
  auto counts = std::make_shared<std::set<std::string>>();
  for (const auto& chip : config.chips) counts->insert(chip.resource_name);
  for (auto& chip : config.chips) {
    out.push_back(std::make_unique<AscendVendor>(std::move(chip), config.hami_vnpu_core, counts));
  }
  return out;
}

}  // namespace

VendorModule Module() {
  return {kConfigBlock, {{kEnableFlag, "false", "enable Huawei Ascend NPUs", true}}, &Create};
}

}  // namespace hami::vendor::ascend
