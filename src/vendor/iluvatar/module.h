// The Iluvatar folder's line in the vendor registry (vendor/registry.h): with --enable-iluvatar,
// one IluvatarVendor per entry of the `iluvatars:` list of device-config.yaml (upstream's four
// chips when the list is absent); without it, none.
#pragma once

#include "vendor/registry.h"

namespace hami::vendor::iluvatar {

VendorModule Module();

}  // namespace hami::vendor::iluvatar
