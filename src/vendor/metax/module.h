// The MetaX folder's line in the vendor registry (vendor/registry.h): the `metax:` block of
// device-config.yaml and the --metax-* / --sgpu-topology-aware flags build two backends, Metax-GPU
// (whole cards) and Metax-SGPU (shared cards), in that order.
#pragma once

#include "vendor/registry.h"

namespace hami::vendor::metax {

VendorModule Module();

}  // namespace hami::vendor::metax
