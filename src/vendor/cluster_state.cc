#include "vendor/cluster_state.h"

#include "codec/device_cordon.h"
#include "codec/handshake.h"
#include "model/protocol.h"
#include "vendor/common.h"

namespace hami::vendor {

NodeHealth JudgeNode(const codec::NodeObject& node, const Registry& registry, int64_t now_unix) {
  NodeHealth health;
  for (const auto& vendor : registry.vendors()) {
    const std::string& key = vendor->Keys().handshake_annotation;
    if (key.empty()) continue;
    // Only a vendor that registered devices on the node has a plugin there to answer.
    auto devices = vendor->DevicesFromNode(node);
    if (!devices.ok() || devices->devices.empty()) continue;
    std::optional<std::string_view> value;
    if (auto it = node.annotations.find(key); it != node.annotations.end()) value = it->second;
    const std::string resource = vendor->HealthResource();
    const int64_t allocatable = resource.empty() ? 0 : AllocatableOf(node, resource);
    codec::HandshakeVerdict verdict = codec::JudgeHandshake(value, allocatable, now_unix);
    if (!verdict.alive) health.dead_vendors.insert(vendor->Name());
    if (verdict.write) health.writes[key] = *verdict.write;
  }
  return health;
}

base::Result<sched::NodeState> NodeStateFromNode(const codec::NodeObject& node,
                                                 const Registry& registry,
                                                 const std::set<std::string>& dead_vendors) {
  sched::NodeState state;
  state.name = node.name;
  bool registered = false;
  for (const auto& vendor : registry.vendors()) {
    auto devices = vendor->DevicesFromNode(node);
    if (!devices.ok()) {
      if (devices.error().code() == base::StatusCode::kNotFound) continue;
      return devices.error().WithContext("node " + node.name);
    }
    registered = registered || !devices->devices.empty() || devices->serves_extended_resources;
    const bool dead = dead_vendors.count(vendor->Name()) != 0;
    for (auto& info : devices->devices) {
      if (dead) info.health = false;
      state.devices.push_back({{}, std::move(info)});
    }
    for (auto& [uuid, peers] : devices->topology) state.topology[uuid] = std::move(peers);
    for (auto& [key, value] : devices->attributes) state.attributes[key] = std::move(value);
  }
  if (!registered) return base::NotFound("node " + node.name + ": no device registered");
  if (auto it = node.annotations.find(model::kDeviceCordonAnnotation);
      it != node.annotations.end()) {
    state.cordoned = codec::DecodeCordonedDevices(it->second);
  }
  return state;
}

base::Result<PodGrants> GrantedDevices(const model::Pod& pod, const Registry& registry) {
  PodGrants grants;
  for (const auto& vendor : registry.vendors()) {
    auto granted = vendor->GrantedDevices(pod);
    if (!granted.ok()) return granted.error().WithContext("pod " + pod.Key());
    if (!*granted) continue;
    grants.devices[vendor->Name()] = std::move((*granted)->devices);
    for (auto& p : (*granted)->partitions) grants.partitions.push_back(std::move(p));
  }
  return grants;
}

std::map<std::string, std::vector<std::string>> BookingTags(const model::Pod& pod,
                                                            const Registry& registry) {
  std::map<std::string, std::vector<std::string>> tags;
  for (const auto& vendor : registry.vendors()) {
    auto list = vendor->BookingTags(pod);
    if (!list.empty()) tags[vendor->Name()] = std::move(list);
  }
  return tags;
}

sched::PodBooking BookingOf(const model::Pod& pod, const PodGrants& grants,
                            const Registry& registry) {
  return sched::MakePodBooking(grants.devices, grants.partitions, BookingTags(pod, registry),
                               pod.init_containers.size());
}

}  // namespace hami::vendor
