#include "vendor/registry.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>

#include "base/strings.h"
#include "vendor/amd/module.h"
#include "vendor/ascend/module.h"
#include "vendor/awsneuron/module.h"
#include "vendor/biren/module.h"
#include "vendor/cambricon/module.h"
#include "vendor/enflame/module.h"
#include "vendor/hygon/module.h"
#include "vendor/iluvatar/module.h"
#include "vendor/kunlun/module.h"
#include "vendor/metax/module.h"
#include "vendor/mthreads/module.h"
#include "vendor/nvidia/module.h"
#include "vendor/vastai/module.h"

namespace hami::vendor {

const std::vector<VendorModule>& Modules() {
  // One line per vendor folder, in the order their devices are listed on a node.
  static const std::vector<VendorModule> kModules = {
      nvidia::Module(),   cambricon::Module(), hygon::Module(),  enflame::Module(),
      mthreads::Module(), metax::Module(),     kunlun::Module(), awsneuron::Module(),
      amd::Module(),      vastai::Module(),    biren::Module(),  ascend::Module(),
      iluvatar::Module(),
  };
  return kModules;
}

std::string FlagOr(const FlagValues& flags, const std::string& name, const std::string& fallback) {
  auto it = flags.find(name);
  return it == flags.end() || it->second.empty() ? fallback : it->second;
}

base::Result<bool> BoolFlagOr(const FlagValues& flags, const std::string& name, bool fallback) {
  const std::string value = FlagOr(flags, name, fallback ? "true" : "false");
  const std::optional<bool> parsed = base::ParseBool(base::Trim(value));
  if (!parsed) {
    return base::InvalidArgument("flag --" + name + ": \"" + value + "\" is not a boolean");
  }
  return *parsed;
}

std::vector<FlagSpec> VendorFlags() {
  std::vector<FlagSpec> flags;
  for (const auto& module : Modules()) {
    flags.insert(flags.end(), module.flags.begin(), module.flags.end());
  }
  return flags;
}

Registry::Registry() {
  auto defaults = Create(DeviceConfig{});
  if (!defaults.ok()) {
    // The built-in defaults always build; failing here is a programming error.
    std::fprintf(stderr, "vendor registry defaults: %s\n", defaults.error().message().c_str());
    std::abort();
  }
  *this = std::move(*defaults);
}

base::Result<Registry> Registry::Create(const DeviceConfig& config, const FlagValues& flags) {
  Registry registry{Empty{}};
  const nlohmann::json& root = config.root;
  if (!root.is_null() && !root.is_object()) {
    return base::InvalidArgument("device config: expected a mapping of vendor blocks, got " +
                                 std::string(root.type_name()));
  }
  FlagValues values;
  std::set<std::string> known_blocks;
  for (const auto& module : Modules()) {
    known_blocks.insert(module.config_key);
    for (const auto& flag : module.flags) values[flag.name] = flag.default_value;
  }
  for (const auto& [name, value] : flags) {
    if (value.empty()) continue;  // not given: the default stands
    if (values.count(name) == 0) {
      registry.warnings_.push_back("flag --" + name + ": no vendor reads it, ignored");
    }
    values[name] = value;
  }
  if (root.is_object()) {
    for (const auto& [key, value] : root.items()) {
      if (known_blocks.count(key) == 0) {
        registry.warnings_.push_back("device config: " + key + ": unknown vendor block, ignored");
      }
    }
  }
  static const nlohmann::json kAbsent;
  for (const auto& module : Modules()) {
    const nlohmann::json* block = &kAbsent;
    if (root.is_object()) {
      auto it = root.find(module.config_key);
      if (it != root.end()) block = &*it;
    }
    HAMI_ASSIGN_OR_RETURN(auto built, module.create({*block, values, &registry.warnings_}));
    for (auto& vendor : built) {
      if (registry.Find(vendor->Name()) != nullptr) {
        return base::InvalidArgument("device config: vendor " + vendor->Name() +
                                     " is configured twice");
      }
      registry.vendors_.push_back(std::move(vendor));
    }
  }
  return registry;
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

base::Result<model::ContainerRequests> RequestsOf(const model::Pod& pod,
                                                  const model::Container& container,
                                                  const Registry& registry) {
  model::ContainerRequests requests;
  for (const auto& vendor : registry.vendors()) {
    HAMI_ASSIGN_OR_RETURN(auto request, vendor->ContainerRequest(pod, container));
    if (request) requests[vendor->Name()] = std::move(*request);
  }
  return requests;
}

}  // namespace

base::Result<sched::PodInput> BuildPodInput(const model::Pod& pod, const Registry& registry,
                                            const sched::Policy& defaults) {
  sched::PodInput input;
  input.namespace_name = pod.namespace_name;
  const std::string context = "pod " + pod.Key();
  for (const auto* list : {&pod.init_containers, &pod.containers}) {
    auto& out = list == &pod.init_containers ? input.requests.init : input.requests.app;
    for (const auto& c : *list) {
      auto requests = RequestsOf(pod, c, registry);
      if (!requests.ok()) return requests.error().WithContext(context);
      for (const auto& [name, request] : *requests) {
        if (input.vendors.count(name) != 0) continue;
        const Vendor* vendor = registry.Find(name);
        auto selector = vendor->Selector(pod);
        if (!selector.ok()) return selector.error().WithContext(context);
        input.vendors[name] = {std::move(*selector), &vendor->Fit()};
      }
      out.push_back(std::move(*requests));
    }
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
        auto used = vendor->Admit(pod, c);
        if (!used.ok()) return used.error().WithContext("pod " + pod.Key());
        vendor_used = vendor_used || *used;
      }
    }
    if (vendor_used) {
      auto status = vendor->AdmitPod(pod);
      if (!status.ok()) return status.WithContext("pod " + pod.Key());
    }
    any = any || vendor_used;
  }
  return any;
}

}  // namespace hami::vendor
