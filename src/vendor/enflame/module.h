// The Enflame folder's line in the vendor registry (vendor/registry.h): the `enflame:` block of
// device-config.yaml and the --enflame-* flags build the whole-card backend `GCU` and the DRS
// backend `Enflame`, in that order (upstream's).
#pragma once

#include "vendor/registry.h"

namespace hami::vendor::enflame {

VendorModule Module();

}  // namespace hami::vendor::enflame
