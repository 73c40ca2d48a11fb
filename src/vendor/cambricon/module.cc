#include "vendor/cambricon/module.h"

#include "vendor/cambricon/cambricon_vendor.h"
#include "vendor/cambricon/wire.h"

namespace hami::vendor::cambricon {
namespace {

base::Result<std::vector<std::unique_ptr<Vendor>>> Create(const ModuleInput& input) {
  HAMI_ASSIGN_OR_RETURN(CambriconConfig config,
                        CambriconConfigFrom(input.block, input.flags, input.warnings));
  std::vector<std::unique_ptr<Vendor>> out;
  out.push_back(std::make_unique<CambriconVendor>(std::move(config)));
  return out;
}

}  // namespace

VendorModule Module() { return {kConfigBlock, CambriconFlags(), &Create}; }

}  // namespace hami::vendor::cambricon
