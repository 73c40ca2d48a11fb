// A pod as the scheduling core and the webhook see it: names, annotations, labels and per-container
// resource quantities kept as the raw strings Kubernetes stores (vendors parse them, so a bad
// quantity is reported with the container and resource it came from).
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
  std::map<std::string, std::string> env;  // literal env values only
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
  std::string phase;  // status.phase; "" when unknown
  std::vector<Container> init_containers;
  std::vector<Container> containers;

  std::string Key() const { return namespace_name + "/" + name; }
  const std::string* Annotation(const std::string& key) const {
    auto it = annotations.find(key);
    return it == annotations.end() ? nullptr : &it->second;
  }
};

}  // namespace hami::model
