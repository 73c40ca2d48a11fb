// The node registration annotation (hami-wire §2.1, §2.2): the device plugin's inventory of a node.
//
//   JSON (HEAD):  [{"id":"GPU-a","count":10,"devmem":32768,"devcore":100,"type":"NVIDIA-T4",
//                   "mode":"hami-core","health":true},{"id":"GPU-b","index":1,...}]
//   Legacy:       GPU-a,10,32768,100,NVIDIA-T4,0,true:GPU-b,10,32768,100,NVIDIA-T4,0,true,1,mig:
//                 (id,count,devmem,devcore,type,numa,health[,index,mode] ; each device ends in ':')
//
// Decoders set every DeviceInfo field from the wire and leave `vendor` at its default: callers
// registering another vendor's legacy annotation set it themselves. An empty list is an error
// ("no devices"), as upstream refuses to register a node without devices. Errors name the device
// position ([0] is the first) and the field. Pure; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/device.h"

namespace hami::codec {

using DeviceList = std::vector<model::DeviceInfo>;

// Auto-detects the form: a value whose first non-blank character is '[' is JSON, anything else is
// the legacy colon form.
base::Result<DeviceList> DecodeNodeDevices(std::string_view value);

// WIRE: JSON array of device objects. Tolerates missing members (zero values, as Go's omitempty
// drops them), unknown members and `null`; member names match case-insensitively like Go. Rejects a
// wrong JSON type, a non-integer or out-of-int32 number, and a device without "id". `migProfiles`
// become DeviceInfo::partitions (slots 1); `custominfo` members become DeviceInfo::attributes
// (strings as they are, integral numbers as integers, other values as compact JSON).
base::Result<DeviceList> DecodeNodeDevicesJson(std::string_view value);

// WIRE: legacy colon form. Empty segments are skipped; every other segment must have 7 or 9 comma
// fields (7 implies index 0 and mode "hami-core"); numbers must be integers and health a Go
// ParseBool literal (upstream silently reads junk as 0/false; we reject it).
base::Result<DeviceList> DecodeNodeDevicesLegacy(std::string_view value);

// WIRE: byte-for-byte what Go's json.Marshal writes for upstream's DeviceInfo: members in the
// order id,index,count,devmem,devcore,type,numa,mode,migProfiles,health,custominfo, each omitted
// when zero/empty/false. MIG profiles always carry name,memoryMB,core,sliceCount,placements.
// custominfo keys are sorted; a value that reads as a JSON number or boolean is written as one
// (so a string attribute "1" comes back as the number 1). An empty list encodes as "[]".
std::string EncodeNodeDevicesJson(const DeviceList& devices);

// WIRE: the 9-field legacy form (id,count,devmem,devcore,type,numa,health,index,mode:) as written
// by upstream <= v2.7. Error when a string field contains ',' or ':' (it could not be decoded
// back).
base::Result<std::string> EncodeNodeDevicesLegacy(const DeviceList& devices);

}  // namespace hami::codec
