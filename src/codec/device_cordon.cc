#include "codec/device_cordon.h"

#include "base/strings.h"

namespace hami::codec {

std::set<std::string> DecodeCordonedDevices(std::string_view value) {
  std::set<std::string> uuids;
  for (std::string_view part : base::Split(value, ',')) {
    std::string_view uuid = base::Trim(part);
    if (!uuid.empty()) uuids.emplace(uuid);
  }
  return uuids;
}

std::string EncodeCordonedDevices(const std::set<std::string>& uuids) {
  std::string out;
  for (const std::string& uuid : uuids) {
    if (!out.empty()) out += ',';
    out += uuid;
  }
  return out;
}

}  // namespace hami::codec
