// The Cambricon folder's line in the vendor registry (vendor/registry.h): the `cambricon:` block of
// device-config.yaml and the --cambricon-mlu-{name,memory,cores} flags build one CambriconVendor.
#pragma once

#include "vendor/registry.h"

namespace hami::vendor::cambricon {

VendorModule Module();

}  // namespace hami::vendor::cambricon
