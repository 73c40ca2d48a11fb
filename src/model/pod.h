// A pod as the scheduling core and the webhook see it: names, annotations, labels and per-container
// resource quantities kept as the raw strings Kubernetes stores (vendors parse them, so a bad
// quantity is reported with the container and resource it came from), plus the fields the webhook's
// isolation rules read (env names, envFrom, capabilities, hostPID/hostIPC, hostPath volumes).
//
// Built from Kubernetes JSON/YAML by codec/k8s_object.h. Plain value.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace hami::model {

using ResourceList = std::map<std::string, std::string>;  // resource name -> quantity text

struct Container {
  std::string name;
  ResourceList limits;
  ResourceList requests;
  bool privileged = false;
  std::map<std::string, std::string> env;     // literal env values only
  std::vector<std::string> env_value_from;    // names of env entries set through valueFrom
  std::vector<std::string> env_from;          // envFrom sources: "configMapRef <name>", ...
  std::vector<std::string> capabilities_add;  // securityContext.capabilities.add, as written
};

// A volume of the pod backed by a host path (spec.volumes[].hostPath).
struct HostPathVolume {
  std::string name;
  std::string path;  // as written in the pod, not normalized
  friend bool operator==(const HostPathVolume&, const HostPathVolume&) = default;
};

struct Pod {
  std::string namespace_name = "default";
  std::string name;
  std::string uid;
  std::map<std::string, std::string> annotations;
  std::map<std::string, std::string> labels;
  std::string scheduler_name;
  std::string runtime_class_name;
  std::string node_name;
  std::string phase;      // status.phase; "" when unknown
  bool host_pid = false;  // spec.hostPID
  bool host_ipc = false;  // spec.hostIPC
  std::vector<HostPathVolume> host_path_volumes;
  std::vector<Container> init_containers;
  std::vector<Container> containers;

  std::string Key() const { return namespace_name + "/" + name; }
  const std::string* Annotation(const std::string& key) const {
    auto it = annotations.find(key);
    return it == annotations.end() ? nullptr : &it->second;
  }
};

}  // namespace hami::model
