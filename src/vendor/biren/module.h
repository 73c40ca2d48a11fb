// The Biren folder's line in the vendor registry (vendor/registry.h): the `biren:` block of
// device-config.yaml builds one vastai::VastaiVendor in card mode with Biren's keys (upstream's
// Biren backend is Vastai's card mode, vendors.md §14); Biren has no scheduler flags.
#pragma once

#include "vendor/registry.h"
#include "vendor/vastai/vastai_vendor.h"

namespace hami::vendor::biren {

// Biren's names for the Vastai backend (no die mode).
vastai::CardSpec BirenSpec();

VendorModule Module();

}  // namespace hami::vendor::biren
