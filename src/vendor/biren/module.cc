#include "vendor/biren/module.h"

#include "vendor/biren/wire.h"

namespace hami::vendor::biren {
namespace {

base::Result<std::vector<std::unique_ptr<Vendor>>> Create(const ModuleInput& input) {
  HAMI_ASSIGN_OR_RETURN(
      vastai::CountConfig config,
      vastai::CountConfigFromJson(input.block, "biren", kDefaultCountResource, input.warnings));
  std::vector<std::unique_ptr<Vendor>> out;
  out.push_back(std::make_unique<vastai::VastaiVendor>(BirenSpec(), std::move(config)));
  return out;
}

}  // namespace

vastai::CardSpec BirenSpec() {
  return {kVendorName,
          {kRegisterAnnotation, kHandshakeAnnotation, kToAllocateAnnotation, kAllocatedAnnotation},
          kUseUuid,
          kNoUseUuid,
          false};
}

VendorModule Module() { return {"biren", {}, &Create}; }

}  // namespace hami::vendor::biren
