// The DRS node annotation enflame.com/gcu-drs-capacity (vendors.md §9.2), written by Enflame's
// gcushare-device-plugin:
//
//   {"devices":[{"index":"0","minor":"0","capacity":6}],
//    "profiles":{"1g.6gb":"0","3g.20gb":"1","6g.40gb":"2"}}
//
// Each device becomes a DeviceInfo: ID "<node>-enflame-drs-<index>", count = capacity (slices),
// devmem = the largest profile's GB × 1024, devcore 100, type "Enflame", always healthy, minor in
// attributes. Every profile `<size>g.<mem>gb` (case and surrounding blanks ignored) becomes a
// model::Partition of every device: name as registered, id = the profile ID, memory = GB × 1024,
// core = ceil(size × 100 / largest size), slices = slots = size, so an instance books its slices
// of the device's count. Partitions are ordered by (size, memory).
//
// Stricter than upstream (which skips what it cannot read): a profile name, profile ID, index,
// minor or capacity that does not read is an error naming it, as are duplicate device indices and
// profiles naming the same shape. Pure; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/device.h"

namespace hami::vendor::enflame {

// Bounds on hostile input.
inline constexpr size_t kMaxAnnotationBytes = 1 << 20;
inline constexpr int32_t kMaxSlices = 4096;        // a profile's size, a device's capacity
inline constexpr int32_t kMaxProfileGb = 2097151;  // GB × 1024 stays within int32 MiB
inline constexpr size_t kMaxEntries = 1024;        // devices, profiles

// A profile name's shape: nullopt unless it reads as `<size>g.<mem>gb` with size in
// 1..kMaxSlices and mem in 1..kMaxProfileGb ("g" and "gb" may be omitted, as upstream accepts).
struct ProfileShape {
  int32_t size = 0;
  int32_t memory_gb = 0;
};
std::optional<ProfileShape> ParseProfileName(std::string_view name);

// Devices of `value` for node `node_name`, `vendor` set on each. NotFound when the device list is
// empty; InvalidArgument (naming the member) when malformed.
base::Result<std::vector<model::DeviceInfo>> DecodeDrsCapacity(std::string_view node_name,
                                                               std::string_view value,
                                                               const std::string& vendor);

}  // namespace hami::vendor::enflame
