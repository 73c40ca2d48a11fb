#include "vendor/iluvatar/module.h"

#include "vendor/iluvatar/iluvatar_vendor.h"

namespace hami::vendor::iluvatar {
namespace {

base::Result<std::vector<std::unique_ptr<Vendor>>> Create(const ModuleInput& input) {
  HAMI_ASSIGN_OR_RETURN(auto chips, IluvatarChipsFrom(input.block, input.warnings));
  std::vector<std::unique_ptr<Vendor>> out;
  HAMI_ASSIGN_OR_RETURN(const bool enabled, BoolFlagOr(input.flags, kEnableFlag, false));
  if (!enabled) return out;
  for (auto& chip : chips) out.push_back(std::make_unique<IluvatarVendor>(std::move(chip)));
  return out;
}

}  // namespace

VendorModule Module() {
  return {kConfigBlock, {{kEnableFlag, "false", "enable Iluvatar GPUs", true}}, &Create};
}

}  // namespace hami::vendor::iluvatar
