// `hami simulate`: capacity planning over manifests, with the exact scheduling core the extender
// uses. Nodes carry register annotations; pods with hami.io/vgpu-node + an allocated annotation are
// running there; every other pod is admitted (webhook defaults) and placed in file order, each
// seeing the ones before. ResourceQuota objects with `limits.<resource>` keys are enforced.
// Pure apart from the caller reading files; single-threaded.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "sched/policy.h"
#include "sched/snapshot.h"
#include "vendor/registry.h"

namespace hami::simulate {

struct Options {
  sched::Policy defaults;        // --node-policy / --gpu-policy
  vendor::DeviceConfig devices;  // --config (device-config.yaml)
  vendor::FlagValues flags;      // the scheduler's vendor flags (--enable-ascend, ...)
};

struct Placement {
  std::string pod;                  // "<ns>/<name>"
  bool requests_devices = false;    // false: no vendor resource, left to kube-scheduler
  std::optional<std::string> node;  // chosen node; nullopt when it fits nowhere
  // What each vendor would write on the pod at bind (Vendor::AllocationAnnotations), by key.
  std::map<std::string, std::string> annotations;
  // Per vendor key, the granted devices encoded as in the allocated annotation (hami-wire §3.7).
  std::map<std::string, std::string> devices;
  std::map<std::string, std::string> failed_nodes;  // node -> upstream reason string
};

struct Result {
  std::vector<std::string> warnings;      // device-config keys and objects ignored, by name
  std::vector<sched::NodeState> nodes;    // final state, every placement applied
  std::vector<std::string> unregistered;  // Node objects without any device registration
  size_t running = 0;                     // pods taken as already running
  std::vector<Placement> placements;      // one per pod to place, in file order
};

// `objects`: every object of both input files (Nodes, Pods, ResourceQuotas; other kinds are an
// error naming them). Errors name the object and field.
base::Result<Result> Run(const std::vector<nlohmann::json>& objects, const Options& options);

}  // namespace hami::simulate
