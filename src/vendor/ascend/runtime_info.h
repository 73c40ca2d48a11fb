// The `huawei.com/<cw>` pod annotation (vendors.md §3): what ascend-device-plugin needs per granted
// NPU besides the device list, as upstream's Go json.Marshal writes it:
//
//   [{"UUID":"device-0","temp":"vir08","memory":8738,"core":1}]   (hard split)
//   [{"UUID":"device-0","memory":15360,"core":20}]                 (hami-core soft split)
//
// Members in this order, each omitted when empty or 0; strings escaped as Go does. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hami::vendor::ascend {

struct RuntimeInfo {
  std::string uuid;
  std::string temp;    // template name; "" for a whole chip and in hami-core mode
  int64_t memory = 0;  // MiB
  int64_t core = 0;    // percent (hami-core priority)
  friend bool operator==(const RuntimeInfo&, const RuntimeInfo&) = default;
};

// WIRE: the JSON array; "[]" for an empty list.
std::string EncodeRuntimeInfo(const std::vector<RuntimeInfo>& infos);

}  // namespace hami::vendor::ascend
