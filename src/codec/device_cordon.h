// The device cordon annotation (hami-wire §1.4): GPUs of a node excluded from new allocations.
//
//   hami.io/device-cordon: "GPU-a, GPU-b"
//
// Cordoned devices keep their running pods; the scheduler counts them as CardCordoned. Pure.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace hami::codec {

// WIRE: comma list of UUIDs; each entry is trimmed of ASCII whitespace and empty entries are
// skipped. Cannot fail: any text is a (possibly empty) list.
std::set<std::string> DecodeCordonedDevices(std::string_view value);

// "GPU-a,GPU-b" (sorted, no spaces).
std::string EncodeCordonedDevices(const std::set<std::string>& uuids);

}  // namespace hami::codec
