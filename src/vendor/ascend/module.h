// The Ascend folder's line in the vendor registry (vendor/registry.h): with --enable-ascend, one
// AscendVendor per chip of the `vnpus:` block of device-config.yaml (upstream's built-in chips
// when the block is absent); without it, none.
#pragma once

#include "vendor/registry.h"

namespace hami::vendor::ascend {

VendorModule Module();

}  // namespace hami::vendor::ascend
