// The Moore Threads folder's line in the vendor registry (vendor/registry.h): the `mthreads:` block
// of device-config.yaml and the --mthreads-{name,memory,cores} flags build one MthreadsVendor.
#pragma once

#include "vendor/registry.h"

namespace hami::vendor::mthreads {

VendorModule Module();

}  // namespace hami::vendor::mthreads
