// WIRE: the MetaX sGPU device plugin's node annotation `metax-tech.com/node-gpu-devices`
// (vendors.md §8.2), its own JSON format rather than HAMi's register grammar:
//
//   [{"uuid":"GPU-123","bdf":"0000:44:00.0","model":"MXC500","totalDevCount":16,
//     "totalCompute":100,"totalVRam":65536,"numa":1,"healthy":true,"qosPolicy":"fixed-share",
//     "linkZone":1}, ...]
//
// Each entry becomes a device: id = uuid, index = position, count = totalDevCount, devmem =
// totalVRam (MiB), devcore = totalCompute, numa, health = healthy, type = the vendor key, and
// attributes QosPolicy, Model and LinkZone. Members match exactly, else ASCII case-insensitively
// (Go's decoding); unknown members (bdf, available*) and nulls are ignored. Hostile input is
// bounded: at most 1 MiB and 1024 devices; a missing uuid, a duplicate uuid, a wrong JSON type, a
// non-integer or out-of-range number and a negative total are errors naming the entry and member.
// Pure; thread-compatible.
#pragma once

#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/device.h"

namespace hami::vendor::metax {

// An empty list decodes to no devices (the node has none; not an error).
base::Result<std::vector<model::DeviceInfo>> DecodeSgpuDevices(std::string_view value);

}  // namespace hami::vendor::metax
