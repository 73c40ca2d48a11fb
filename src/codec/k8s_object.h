// Kubernetes objects (as the API server serves them in JSON) read into the model's plain values.
//
// Only the fields HAMi reads are kept. Member names match exactly (Kubernetes decoding is
// case-sensitive); unknown members are ignored; `null` (also as a map value) reads as absent.
// Resource quantities may be JSON strings or numbers: numbers are kept as their JSON text ("2",
// "1.5", "1e+30"), which is valid quantity syntax; they are not parsed here (vendors parse them and
// report the container/resource).
// Errors name the object and the field path, e.g.
//   pod default/p: spec.containers[1].resources.limits["nvidia.com/gpu"]: expected string or number
// Pure; never throws; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "model/pod.h"

namespace hami::codec {

// A node as the scheduler reads it: identity, annotations (registration, lock, handshake), labels
// (node selector) and resources.
struct NodeObject {
  std::string name;
  std::string uid;
  std::string resource_version;  // metadata.resourceVersion, for optimistic-concurrency patches
  std::map<std::string, std::string> annotations;
  std::map<std::string, std::string> labels;
  model::ResourceList allocatable;  // status.allocatable
  model::ResourceList capacity;     // status.capacity
  bool unschedulable = false;       // spec.unschedulable
  friend bool operator==(const NodeObject&, const NodeObject&) = default;
};

// metadata.{namespace (default "default" when absent or empty), name, uid, annotations, labels};
// spec.{schedulerName, runtimeClassName, nodeName, hostPID, hostIPC, initContainers, containers,
// volumes (hostPath ones)}; each container's name, resources.{limits,requests},
// securityContext.{privileged, capabilities.add}, env (literal values in `env`, a later duplicate
// name wins; names of valueFrom entries in `env_value_from`, and such an entry removes an earlier
// literal of the same name) and envFrom sources; status.phase.
// A present "kind" other than "Pod" is an error. The name may be empty (admission of a pod that
// uses generateName).
base::Result<model::Pod> PodFromJson(const nlohmann::json& object);

// metadata.{name, uid, resourceVersion, annotations, labels}; spec.unschedulable;
// status.{allocatable, capacity}. A present "kind" other than "Node" is an error.
base::Result<NodeObject> NodeFromJson(const nlohmann::json& object);

// Parse JSON text, then the functions above.
base::Result<model::Pod> PodFromJsonText(std::string_view text);
base::Result<NodeObject> NodeFromJsonText(std::string_view text);

}  // namespace hami::codec
