// The AMD folder's line in the vendor registry (vendor/registry.h): the `amd:` block of
// device-config.yaml builds one AmdVendor; AMD has no scheduler flags.
#pragma once

#include "vendor/registry.h"

namespace hami::vendor::amd {

VendorModule Module();

}  // namespace hami::vendor::amd
