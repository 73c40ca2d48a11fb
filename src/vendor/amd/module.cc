#include "vendor/amd/module.h"

#include "vendor/amd/amd_vendor.h"

namespace hami::vendor::amd {
namespace {

base::Result<std::vector<std::unique_ptr<Vendor>>> Create(const ModuleInput& input) {
  HAMI_ASSIGN_OR_RETURN(AmdConfig config, AmdConfigFromJson(input.block, input.warnings));
  std::vector<std::unique_ptr<Vendor>> out;
  out.push_back(std::make_unique<AmdVendor>(std::move(config)));
  return out;
}

}  // namespace

VendorModule Module() { return {"amd", {}, &Create}; }

}  // namespace hami::vendor::amd
