#include "vendor/iluvatar/module.h"

#include "base/strings.h"
#include "vendor/iluvatar/iluvatar_vendor.h"

namespace hami::vendor::iluvatar {
namespace {

base::Result<std::vector<std::unique_ptr<Vendor>>> Create(const ModuleInput& input) {
  HAMI_ASSIGN_OR_RETURN(auto chips, IluvatarChipsFrom(input.block, input.warnings));
  std::vector<std::unique_ptr<Vendor>> out;
  auto it = input.flags.find(kEnableFlag);
  const std::string value = it == input.flags.end() ? "false" : it->second;
  const std::optional<bool> enabled = base::ParseBool(base::Trim(value));
  if (!enabled) {
    return base::InvalidArgument(std::string("flag --") + kEnableFlag + ": \"" + value +
                                 "\" is not a boolean");
  }
  if (!*enabled) return out;
  for (auto& chip : chips) out.push_back(std::make_unique<IluvatarVendor>(std::move(chip)));
  return out;
}

}  // namespace

VendorModule Module() {
  return {kConfigBlock, {{kEnableFlag, "false", "enable Iluvatar GPUs", true}}, &Create};
}

}  // namespace hami::vendor::iluvatar
