#include "vendor/registry.h"

#include <nlohmann/json.hpp>

#include "vendor/nvidia/nvidia_vendor.h"

namespace hami::vendor {

base::Result<DeviceConfig> DeviceConfigFromJson(const nlohmann::json& root) {
  DeviceConfig config;
  if (root.is_null()) return config;
  if (!root.is_object()) return base::InvalidArgument("device config: expected a mapping");
  if (auto it = root.find("nvidia"); it != root.end()) {
    HAMI_ASSIGN_OR_RETURN(config.nvidia, nvidia::NvidiaConfigFromJson(*it));
  }
  return config;
}

Registry::Registry(const DeviceConfig& config) {
  // One line per vendor, in the order their devices are listed on a node.
  vendors_.push_back(std::make_unique<nvidia::NvidiaVendor>(config.nvidia));
}

const Vendor* Registry::Find(const std::string& name) const {
  for (const auto& v : vendors_) {
    if (v->Name() == name) return v.get();
  }
  return nullptr;
}

std::vector<std::string> Registry::ResourceNames() const {
  std::vector<std::string> names;
  for (const auto& v : vendors_) {
    for (auto& n : v->ResourceNames()) names.push_back(std::move(n));
  }
  return names;
}

namespace {

base::Result<model::ContainerRequests> RequestsOf(const model::Container& container,
                                                 const Registry& registry) {
  model::ContainerRequests requests;
  for (const auto& vendor : registry.vendors()) {
    HAMI_ASSIGN_OR_RETURN(auto request, vendor->ContainerRequest(container));
    if (request) requests[vendor->Name()] = *request;
  }
  return requests;
}

}  // namespace

base::Result<sched::PodInput> BuildPodInput(const model::Pod& pod, const Registry& registry,
                                            const sched::Policy& defaults) {
  sched::PodInput input;
  input.namespace_name = pod.namespace_name;
  const std::string context = "pod " + pod.Key();
  for (const auto& c : pod.init_containers) {
    auto requests = RequestsOf(c, registry);
    if (!requests.ok()) return requests.error().WithContext(context);
    input.requests.init.push_back(std::move(*requests));
  }
  for (const auto& c : pod.containers) {
    auto requests = RequestsOf(c, registry);
    if (!requests.ok()) return requests.error().WithContext(context);
    input.requests.app.push_back(std::move(*requests));
  }
  for (const auto& vendor : registry.vendors()) {
    auto selector = vendor->Selector(pod);
    if (!selector.ok()) return selector.error();
    input.selectors[vendor->Name()] = std::move(*selector);
  }
  auto policy = sched::PolicyForPod(pod.annotations, defaults);
  if (!policy.ok()) return policy.error().WithContext(context);
  input.policy = std::move(*policy);
  return input;
}

base::Result<bool> AdmitPod(model::Pod& pod, const Registry& registry) {
  bool any = false;
  for (const auto& vendor : registry.vendors()) {
    bool vendor_used = false;
    for (auto* list : {&pod.init_containers, &pod.containers}) {
      for (auto& c : *list) {
        auto used = vendor->Admit(c);
        if (!used.ok()) return used.error().WithContext("pod " + pod.Key());
        vendor_used = vendor_used || *used;
      }
    }
    if (vendor_used) vendor->AdmitPod(pod);
    any = any || vendor_used;
  }
  return any;
}

}  // namespace hami::vendor
