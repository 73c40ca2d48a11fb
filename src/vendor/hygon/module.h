// The Hygon folder's line in the vendor registry (vendor/registry.h): the `hygon:` block of
// device-config.yaml and the --dcu-name / --dcu-memory / --dcu-cores flags build one HygonVendor.
#pragma once

#include "vendor/registry.h"

namespace hami::vendor::hygon {

VendorModule Module();

}  // namespace hami::vendor::hygon
