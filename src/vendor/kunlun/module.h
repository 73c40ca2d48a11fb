// The Kunlunxin folder's line in the vendor registry (vendor/registry.h): the `kunlun:` block of
// device-config.yaml and the --kunlun-* flags build the whole-card backend `kunlun` and the vXPU
// backend `XPU`, in that order (upstream's).
#pragma once

#include "vendor/registry.h"

namespace hami::vendor::kunlun {

VendorModule Module();

}  // namespace hami::vendor::kunlun
