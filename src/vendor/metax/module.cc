#include "vendor/metax/module.h"

#include "vendor/metax/gpu_vendor.h"
#include "vendor/metax/sgpu_vendor.h"

namespace hami::vendor::metax {
namespace {

base::Result<std::vector<std::unique_ptr<Vendor>>> Create(const ModuleInput& input) {
  HAMI_ASSIGN_OR_RETURN(MetaxConfig config,
                        MetaxConfigFrom(input.block, input.flags, input.warnings));
  std::vector<std::unique_ptr<Vendor>> out;
  out.push_back(std::make_unique<GpuVendor>(config));
  out.push_back(std::make_unique<SgpuVendor>(std::move(config)));
  return out;
}

}  // namespace

VendorModule Module() { return {kConfigBlock, MetaxFlags(), &Create}; }

}  // namespace hami::vendor::metax
