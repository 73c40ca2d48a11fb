#include "vendor/enflame/module.h"

#include "vendor/enflame/drs_vendor.h"
#include "vendor/enflame/gcu_vendor.h"

namespace hami::vendor::enflame {
namespace {

base::Result<std::vector<std::unique_ptr<Vendor>>> Create(const ModuleInput& input) {
  HAMI_ASSIGN_OR_RETURN(EnflameConfig config,
                        EnflameConfigFrom(input.block, input.flags, input.warnings));
  std::vector<std::unique_ptr<Vendor>> out;
  out.push_back(std::make_unique<GcuVendor>(config));
  out.push_back(std::make_unique<DrsVendor>(std::move(config)));
  return out;
}

}  // namespace

VendorModule Module() { return {kConfigBlock, EnflameFlags(), &Create}; }

}  // namespace hami::vendor::enflame
