// The Vastai folder's line in the vendor registry (vendor/registry.h): the `vastai:` block of
// device-config.yaml builds one VastaiVendor; Vastai has no scheduler flags.
#pragma once

#include "vendor/registry.h"

namespace hami::vendor::vastai {

VendorModule Module();

}  // namespace hami::vendor::vastai
