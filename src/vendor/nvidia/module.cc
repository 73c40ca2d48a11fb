#include "vendor/nvidia/module.h"

#include "vendor/nvidia/nvidia_vendor.h"

namespace hami::vendor::nvidia {
namespace {

base::Result<std::vector<std::unique_ptr<Vendor>>> Create(const ModuleInput& input) {
  HAMI_ASSIGN_OR_RETURN(NvidiaConfig config, NvidiaConfigFromJson(input.block, input.warnings));
  std::vector<std::unique_ptr<Vendor>> out;
  out.push_back(std::make_unique<NvidiaVendor>(std::move(config)));
  return out;
}

}  // namespace

VendorModule Module() { return {"nvidia", {}, &Create}; }

}  // namespace hami::vendor::nvidia
