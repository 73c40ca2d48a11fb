#include "codec/pod_devices.h"

#include <limits>

#include "base/strings.h"
#include "codec/json_util.h"

namespace hami::codec {
namespace {

using internal::Quote;

base::Status ParseField(std::string_view text, std::string_view field, const std::string& where,
                        int64_t* out) {
  auto v = base::ParseInt64(text);
  if (!v || *v < std::numeric_limits<int32_t>::min() || *v > std::numeric_limits<int32_t>::max()) {
    return base::InvalidArgument(where + ": " + std::string(field) + " " + Quote(text) +
                                 " is not an int32");
  }
  *out = *v;
  return {};
}

base::Result<model::ContainerDevices> DecodeContainer(std::string_view text, size_t container) {
  model::ContainerDevices devices;
  for (std::string_view segment : base::Split(text, ':')) {
    if (segment.find(',') == std::string_view::npos) continue;
    const std::string where = "pod devices annotation: container [" + std::to_string(container) +
                              "] device [" + std::to_string(devices.size()) + "]";
    std::vector<std::string_view> f = base::Split(segment, ',');
    if (f.size() < 4) {
      return base::InvalidArgument(where + ": " + Quote(segment) + " has " +
                                   std::to_string(f.size()) +
                                   " comma-separated fields, expected 4 "
                                   "(UUID,Type,usedmem,usedcores)");
    }
    model::ContainerDevice device;
    device.uuid = std::string(f[0]);
    device.type = std::string(f[1]);
    HAMI_RETURN_IF_ERROR(ParseField(f[2], "usedmem", where, &device.usedmem));
    HAMI_RETURN_IF_ERROR(ParseField(f[3], "usedcores", where, &device.usedcores));
    devices.push_back(std::move(device));
  }
  return devices;
}

}  // namespace

base::Result<std::string> EncodePodSingleDevice(const model::PodSingleDevice& devices) {
  std::string out;
  for (size_t c = 0; c < devices.size(); ++c) {
    for (size_t d = 0; d < devices[c].size(); ++d) {
      const model::ContainerDevice& device = devices[c][d];
      for (const std::string* s : {&device.uuid, &device.type}) {
        if (s->find_first_of(",:;") != std::string::npos) {
          return base::InvalidArgument("pod devices annotation: container [" + std::to_string(c) +
                                       "] device [" + std::to_string(d) + "]: " + Quote(*s) +
                                       " contains one of , : ; and cannot be encoded");
        }
      }
      out += device.uuid + "," + device.type + "," + std::to_string(device.usedmem) + "," +
             std::to_string(device.usedcores) + ":";
    }
    out += ';';
  }
  return out;
}

base::Result<model::PodSingleDevice> DecodePodSingleDevice(std::string_view value) {
  model::PodSingleDevice result;
  std::vector<std::string_view> containers = base::Split(value, ';');
  // ';' terminates a container: the piece after the last ';' is a container only if non-empty.
  if (containers.back().empty()) containers.pop_back();
  for (size_t c = 0; c < containers.size(); ++c) {
    HAMI_ASSIGN_OR_RETURN(model::ContainerDevices devices, DecodeContainer(containers[c], c));
    result.push_back(std::move(devices));
  }
  return result;
}

}  // namespace hami::codec
