// The NVIDIA folder's line in the vendor registry (vendor/registry.h): the `nvidia:` block of
// device-config.yaml builds one NvidiaVendor; NVIDIA has no scheduler flags of its own.
#pragma once

#include "vendor/registry.h"

namespace hami::vendor::nvidia {

VendorModule Module();

}  // namespace hami::vendor::nvidia
