// The pod device annotations (hami-wire §3.7): which devices each container of a pod was given.
//
//   hami.io/vgpu-devices-to-allocate: "GPU-a,NVIDIA,3000,30:GPU-b,NVIDIA,3000,30:;"
//   hami.io/vgpu-devices-allocated:   ";GPU-a,NVIDIA,3000,30:;"      (first container has no GPU)
//
// Device = UUID,Type,usedmem,usedcores, each device terminated by ':'; each container (init
// containers first, then app containers, empty ones included) terminated by ';'. Idx is not
// encoded.
// Pure; thread-compatible.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "model/grant.h"

namespace hami::codec {

// WIRE: one entry per container, each terminated by ';'. Error when a uuid or type contains one of
// the separators , : ; (it could not be decoded back).
base::Result<std::string> EncodePodSingleDevice(const model::PodSingleDevice& devices);

// WIRE: the inverse of EncodePodSingleDevice, reading what upstream writes.
// Upstream splits on ';' and so returns one extra, always empty, container after the final ';'.
// We treat ';' as a terminator instead: the result has exactly one entry per ';' (plus one for a
// non-empty unterminated tail), so "" -> {} and "GPU-a,NVIDIA,3000,30:;" -> {{GPU-a}}, and
// Encode(Decode(x)) == x for every string upstream writes. Within a container, ':'-segments
// without ',' are ignored (as upstream); a device with fewer than 4 fields is an error; fields
// after the 4th are ignored; usedmem/usedcores must be int32 decimal integers (upstream silently
// reads junk as 0).
// idx is left 0. Errors name the container and device position ([0] is the first).
base::Result<model::PodSingleDevice> DecodePodSingleDevice(std::string_view value);

}  // namespace hami::codec
