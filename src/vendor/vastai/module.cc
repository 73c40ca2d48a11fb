#include "vendor/vastai/module.h"

#include "vendor/vastai/vastai_vendor.h"
#include "vendor/vastai/wire.h"

namespace hami::vendor::vastai {
namespace {

base::Result<std::vector<std::unique_ptr<Vendor>>> Create(const ModuleInput& input) {
  HAMI_ASSIGN_OR_RETURN(
      CountConfig config,
      CountConfigFromJson(input.block, "vastai", kDefaultCountResource, input.warnings));
  std::vector<std::unique_ptr<Vendor>> out;
  out.push_back(std::make_unique<VastaiVendor>(VastaiSpec(), std::move(config)));
  return out;
}

}  // namespace

VendorModule Module() { return {"vastai", {}, &Create}; }

}  // namespace hami::vendor::vastai
