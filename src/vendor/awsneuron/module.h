// The AWS Neuron folder's line in the vendor registry (vendor/registry.h): the `awsneuron:` block
// of device-config.yaml builds one AwsNeuronVendor; AWS Neuron has no scheduler flags.
#pragma once

#include "vendor/registry.h"

namespace hami::vendor::awsneuron {

VendorModule Module();

}  // namespace hami::vendor::awsneuron
