#include "vendor/awsneuron/module.h"

#include "vendor/awsneuron/neuron_vendor.h"

namespace hami::vendor::awsneuron {
namespace {

base::Result<std::vector<std::unique_ptr<Vendor>>> Create(const ModuleInput& input) {
  HAMI_ASSIGN_OR_RETURN(AwsNeuronConfig config,
                        AwsNeuronConfigFromJson(input.block, input.warnings));
  std::vector<std::unique_ptr<Vendor>> out;
  out.push_back(std::make_unique<AwsNeuronVendor>(std::move(config)));
  return out;
}

}  // namespace

VendorModule Module() { return {"awsneuron", {}, &Create}; }

}  // namespace hami::vendor::awsneuron
