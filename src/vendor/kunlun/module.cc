#include "vendor/kunlun/module.h"

#include "vendor/kunlun/vxpu_vendor.h"
#include "vendor/kunlun/whole_vendor.h"

namespace hami::vendor::kunlun {
namespace {

base::Result<std::vector<std::unique_ptr<Vendor>>> Create(const ModuleInput& input) {
  HAMI_ASSIGN_OR_RETURN(KunlunConfig config,
                        KunlunConfigFrom(input.block, input.flags, input.warnings));
  std::vector<std::unique_ptr<Vendor>> out;
  out.push_back(std::make_unique<WholeVendor>(config));
  out.push_back(std::make_unique<VxpuVendor>(std::move(config)));
  return out;
}

}  // namespace

VendorModule Module() { return {kConfigBlock, KunlunFlags(), &Create}; }

}  // namespace hami::vendor::kunlun
