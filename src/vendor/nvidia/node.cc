// NvidiaVendor: node-side annotations (register + topology scores).
#include "codec/node_register.h"
#include "codec/topology_score.h"
#include "vendor/nvidia/nvidia_vendor.h"

namespace hami::vendor::nvidia {

base::Result<std::vector<model::DeviceInfo>> NvidiaVendor::DevicesFromAnnotations(
    const std::map<std::string, std::string>& annotations) const {
  auto it = annotations.find(kRegisterAnnotation);
  if (it == annotations.end()) {
    return base::NotFound(std::string("annotation ") + kRegisterAnnotation + " is absent");
  }
  auto devices = codec::DecodeNodeDevices(it->second);
  if (!devices.ok()) {
    return devices.error().WithContext(std::string("annotation ") + kRegisterAnnotation);
  }
  for (auto& d : *devices) d.vendor = name_;
  return std::move(*devices);
}

base::Result<model::TopologyScores> NvidiaVendor::TopologyFromAnnotations(
    const std::map<std::string, std::string>& annotations) const {
  auto it = annotations.find(kScoreAnnotation);
  if (it == annotations.end() || it->second.empty()) return model::TopologyScores{};
  auto scores = codec::DecodeTopologyScores(it->second);
  if (!scores.ok()) return scores.error().WithContext(std::string("annotation ") + kScoreAnnotation);
  return std::move(*scores);
}

}  // namespace hami::vendor::nvidia
