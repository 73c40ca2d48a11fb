#include "vendor/mthreads/module.h"

#include "vendor/mthreads/mthreads_vendor.h"
#include "vendor/mthreads/wire.h"

namespace hami::vendor::mthreads {
namespace {

base::Result<std::vector<std::unique_ptr<Vendor>>> Create(const ModuleInput& input) {
  HAMI_ASSIGN_OR_RETURN(MthreadsConfig config,
                        MthreadsConfigFrom(input.block, input.flags, input.warnings));
  std::vector<std::unique_ptr<Vendor>> out;
  out.push_back(std::make_unique<MthreadsVendor>(std::move(config)));
  return out;
}

}  // namespace

VendorModule Module() { return {kConfigBlock, MthreadsFlags(), &Create}; }

}  // namespace hami::vendor::mthreads
