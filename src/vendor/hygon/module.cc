#include "vendor/hygon/module.h"

#include "vendor/hygon/hygon_vendor.h"

namespace hami::vendor::hygon {
namespace {

base::Result<std::vector<std::unique_ptr<Vendor>>> Create(const ModuleInput& input) {
  HAMI_ASSIGN_OR_RETURN(HygonConfig config,
                        HygonConfigFrom(input.block, input.flags, input.warnings));
  std::vector<std::unique_ptr<Vendor>> out;
  out.push_back(std::make_unique<HygonVendor>(std::move(config)));
  return out;
}

}  // namespace

VendorModule Module() {
  return {kConfigBlock,
          {{kCountFlag, kDefaultCountResource, "Hygon DCU count resource name", false},
           {kMemoryFlag, kDefaultMemoryResource, "Hygon DCU memory resource name (MiB)", false},
           {kCoreFlag, kDefaultCoreResource, "Hygon DCU core resource name (percent)", false}},
          &Create};
}

}  // namespace hami::vendor::hygon
