// The MIG allocation annotation (hami-wire §3.7): which MIG instance each (container, device) got.
//
//   [{"containerIndex":0,"deviceIndex":0,"gpuUUID":"GPU-a","profile":"1g.5gb",
//     "placement":{"start":0,"size":1},"migUUID":"MIG-x","gpuInstanceID":1,"computeInstanceID":0}]
//
// The scheduler writes the first five members; the device plugin adds migUUID, gpuInstanceID and
// computeInstanceID after creating the instance (all three or none). In model::MigAllocation
// "absent" is mig_uuid "" with both ids -1. Pure; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/grant.h"

namespace hami::codec {

// WIRE: members in the order above; the realized three only when present. Error when an entry is
// partially realized (some of mig_uuid / ids set, others not) or a realized id is negative.
base::Result<std::string> EncodeMigAllocations(const std::vector<model::MigAllocation>& entries);

// WIRE: JSON array (`null` = none). Missing integer members read as 0 (Go omitempty); gpuUUID,
// profile and placement are required; indexes must be >= 0; the realized three are all-or-none and
// their ids >= 0. Errors name the entry position and field.
base::Result<std::vector<model::MigAllocation>> DecodeMigAllocations(std::string_view value);

}  // namespace hami::codec
