#include "codec/k8s_object.h"

#include "codec/json_util.h"

namespace hami::codec {
namespace {

using nlohmann::json;

// Reads fields of one object, prefixing every error with "<object>: <path>".
class ObjectReader {
 public:
  explicit ObjectReader(std::string object) : object_(std::move(object)) {}

  base::Status Error(const std::string& path, const std::string& why) const {
    return base::InvalidArgument(object_ + ": " + path + ": " + why);
  }

  // The member `key` of `parent` (exact name), nullptr when absent or null.
  static const json* Member(const json& parent, std::string_view key) {
    auto it = parent.find(key);
    return (it == parent.end() || it->is_null()) ? nullptr : &*it;
  }

  // Member that must be an object when present.
  base::Result<const json*> Object(const json& parent, std::string_view key,
                                   const std::string& path) const {
    const json* v = Member(parent, key);
    if (v != nullptr && !v->is_object()) return Error(path, internal::Expected("object", *v));
    return v;
  }

  base::Result<const json*> Array(const json& parent, std::string_view key,
                                  const std::string& path) const {
    const json* v = Member(parent, key);
    if (v != nullptr && !v->is_array()) return Error(path, internal::Expected("array", *v));
    return v;
  }

  base::Status String(const json& parent, std::string_view key, const std::string& path,
                      std::string* out) const {
    const json* v = Member(parent, key);
    if (v == nullptr) return {};
    if (!v->is_string()) return Error(path, internal::Expected("string", *v));
    *out = v->get<std::string>();
    return {};
  }

  base::Status Bool(const json& parent, std::string_view key, const std::string& path,
                    bool* out) const {
    const json* v = Member(parent, key);
    if (v == nullptr) return {};
    if (!v->is_boolean()) return Error(path, internal::Expected("boolean", *v));
    *out = v->get<bool>();
    return {};
  }

  // map<string,string> member such as metadata.annotations.
  base::Status StringMap(const json& parent, std::string_view key, const std::string& path,
                         std::map<std::string, std::string>* out) const {
    HAMI_ASSIGN_OR_RETURN(const json* v, Object(parent, key, path));
    if (v == nullptr) return {};
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (it->is_null()) continue;
      if (!it->is_string()) {
        return Error(path + "[" + internal::Quote(it.key()) + "]",
                     internal::Expected("string", *it));
      }
      (*out)[it.key()] = it->get<std::string>();
    }
    return {};
  }

  // ResourceList member: quantity strings, or numbers kept as their JSON text.
  base::Status Resources(const json& parent, std::string_view key, const std::string& path,
                         model::ResourceList* out) const {
    HAMI_ASSIGN_OR_RETURN(const json* v, Object(parent, key, path));
    if (v == nullptr) return {};
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (it->is_null()) continue;
      if (it->is_string()) {
        (*out)[it.key()] = it->get<std::string>();
      } else if (it->is_number()) {
        (*out)[it.key()] = it->dump();
      } else {
        return Error(path + "[" + internal::Quote(it.key()) + "]",
                     internal::Expected("string or number", *it));
      }
    }
    return {};
  }

 private:
  std::string object_;
};

base::Status CheckKind(const json& object, std::string_view want, const ObjectReader& r) {
  const json* kind = ObjectReader::Member(object, "kind");
  if (kind == nullptr) return {};
  if (!kind->is_string()) return r.Error("kind", internal::Expected("string", *kind));
  if (kind->get<std::string>() != want) {
    return r.Error("kind", "expected " + std::string(want) + ", got " +
                               internal::Quote(kind->get<std::string>()));
  }
  return {};
}

base::Status ReadEnv(const json& env, const std::string& path, const ObjectReader& r,
                     model::Container* out) {
  for (size_t i = 0; i < env.size(); ++i) {
    const json& entry = env[i];
    const std::string epath = path + "[" + std::to_string(i) + "]";
    if (!entry.is_object()) return r.Error(epath, internal::Expected("object", entry));
    std::string name;
    HAMI_RETURN_IF_ERROR(r.String(entry, "name", epath + ".name", &name));
    if (name.empty()) return r.Error(epath + ".name", "missing or empty");
    if (ObjectReader::Member(entry, "valueFrom") != nullptr) {
      out->env.erase(name);
      out->env_value_from.push_back(name);
      continue;
    }
    std::string value;
    HAMI_RETURN_IF_ERROR(r.String(entry, "value", epath + ".value", &value));
    out->env[name] = value;
  }
  return {};
}

// envFrom: each source as "<kind> <name>" (kind: configMapRef, secretRef; "?" when unknown), with
// " prefix <p>" when a prefix is set.
base::Status ReadEnvFrom(const json& list, const std::string& path, const ObjectReader& r,
                         std::vector<std::string>* out) {
  for (size_t i = 0; i < list.size(); ++i) {
    const json& entry = list[i];
    const std::string epath = path + "[" + std::to_string(i) + "]";
    if (!entry.is_object()) return r.Error(epath, internal::Expected("object", entry));
    std::string source = "?";
    for (const char* kind : {"configMapRef", "secretRef"}) {
      HAMI_ASSIGN_OR_RETURN(const json* ref, r.Object(entry, kind, epath + "." + kind));
      if (ref == nullptr) continue;
      std::string name;
      HAMI_RETURN_IF_ERROR(r.String(*ref, "name", epath + "." + kind + ".name", &name));
      source = std::string(kind) + " " + name;
    }
    std::string prefix;
    HAMI_RETURN_IF_ERROR(r.String(entry, "prefix", epath + ".prefix", &prefix));
    out->push_back(prefix.empty() ? source : source + " prefix " + prefix);
  }
  return {};
}

base::Status ReadSecurityContext(const json& c, const std::string& path, const ObjectReader& r,
                                 model::Container* out) {
  HAMI_ASSIGN_OR_RETURN(const json* security, r.Object(c, "securityContext", path));
  if (security == nullptr) return {};
  HAMI_RETURN_IF_ERROR(r.Bool(*security, "privileged", path + ".privileged", &out->privileged));
  const std::string caps_path = path + ".capabilities";
  HAMI_ASSIGN_OR_RETURN(const json* caps, r.Object(*security, "capabilities", caps_path));
  if (caps == nullptr) return {};
  HAMI_ASSIGN_OR_RETURN(const json* add, r.Array(*caps, "add", caps_path + ".add"));
  if (add == nullptr) return {};
  for (size_t i = 0; i < add->size(); ++i) {
    const json& cap = (*add)[i];
    if (!cap.is_string()) {
      return r.Error(caps_path + ".add[" + std::to_string(i) + "]",
                     internal::Expected("string", cap));
    }
    out->capabilities_add.push_back(cap.get<std::string>());
  }
  return {};
}

base::Status ReadContainer(const json& c, const std::string& path, const ObjectReader& r,
                           model::Container* out) {
  if (!c.is_object()) return r.Error(path, internal::Expected("object", c));
  HAMI_RETURN_IF_ERROR(r.String(c, "name", path + ".name", &out->name));
  HAMI_ASSIGN_OR_RETURN(const json* resources, r.Object(c, "resources", path + ".resources"));
  if (resources != nullptr) {
    HAMI_RETURN_IF_ERROR(
        r.Resources(*resources, "limits", path + ".resources.limits", &out->limits));
    HAMI_RETURN_IF_ERROR(
        r.Resources(*resources, "requests", path + ".resources.requests", &out->requests));
  }
  HAMI_RETURN_IF_ERROR(ReadSecurityContext(c, path + ".securityContext", r, out));
  HAMI_ASSIGN_OR_RETURN(const json* env, r.Array(c, "env", path + ".env"));
  if (env != nullptr) HAMI_RETURN_IF_ERROR(ReadEnv(*env, path + ".env", r, out));
  HAMI_ASSIGN_OR_RETURN(const json* env_from, r.Array(c, "envFrom", path + ".envFrom"));
  if (env_from != nullptr) {
    HAMI_RETURN_IF_ERROR(ReadEnvFrom(*env_from, path + ".envFrom", r, &out->env_from));
  }
  return {};
}

base::Status ReadContainers(const json& spec, std::string_view key, const ObjectReader& r,
                            std::vector<model::Container>* out) {
  const std::string path = "spec." + std::string(key);
  HAMI_ASSIGN_OR_RETURN(const json* list, r.Array(spec, key, path));
  if (list == nullptr) return {};
  out->resize(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    HAMI_RETURN_IF_ERROR(
        ReadContainer((*list)[i], path + "[" + std::to_string(i) + "]", r, &(*out)[i]));
  }
  return {};
}

// spec.volumes: the hostPath ones (name and path); other volume types are not kept.
base::Status ReadHostPathVolumes(const json& spec, const ObjectReader& r,
                                 std::vector<model::HostPathVolume>* out) {
  HAMI_ASSIGN_OR_RETURN(const json* volumes, r.Array(spec, "volumes", "spec.volumes"));
  if (volumes == nullptr) return {};
  for (size_t i = 0; i < volumes->size(); ++i) {
    const json& v = (*volumes)[i];
    const std::string path = "spec.volumes[" + std::to_string(i) + "]";
    if (!v.is_object()) return r.Error(path, internal::Expected("object", v));
    HAMI_ASSIGN_OR_RETURN(const json* host_path, r.Object(v, "hostPath", path + ".hostPath"));
    if (host_path == nullptr) continue;
    model::HostPathVolume volume;
    HAMI_RETURN_IF_ERROR(r.String(v, "name", path + ".name", &volume.name));
    HAMI_RETURN_IF_ERROR(r.String(*host_path, "path", path + ".hostPath.path", &volume.path));
    out->push_back(std::move(volume));
  }
  return {};
}

// Best-effort metadata.<key> string for naming the object in errors.
std::string PeekMetadata(const json& object, std::string_view key) {
  const json* metadata = ObjectReader::Member(object, "metadata");
  if (metadata == nullptr || !metadata->is_object()) return "";
  const json* v = ObjectReader::Member(*metadata, key);
  return (v != nullptr && v->is_string()) ? v->get<std::string>() : "";
}

}  // namespace

base::Result<model::Pod> PodFromJson(const json& object) {
  model::Pod pod;
  const std::string ns = PeekMetadata(object, "namespace");
  const ObjectReader r("pod " + (ns.empty() ? pod.namespace_name : ns) + "/" +
                       PeekMetadata(object, "name"));
  if (!object.is_object()) return r.Error("(root)", internal::Expected("object", object));
  HAMI_RETURN_IF_ERROR(CheckKind(object, "Pod", r));
  HAMI_ASSIGN_OR_RETURN(const json* metadata, r.Object(object, "metadata", "metadata"));
  if (metadata != nullptr) {
    HAMI_RETURN_IF_ERROR(
        r.String(*metadata, "namespace", "metadata.namespace", &pod.namespace_name));
    if (pod.namespace_name.empty()) pod.namespace_name = "default";
    HAMI_RETURN_IF_ERROR(r.String(*metadata, "name", "metadata.name", &pod.name));
    HAMI_RETURN_IF_ERROR(r.String(*metadata, "uid", "metadata.uid", &pod.uid));
    HAMI_RETURN_IF_ERROR(
        r.StringMap(*metadata, "annotations", "metadata.annotations", &pod.annotations));
    HAMI_RETURN_IF_ERROR(r.StringMap(*metadata, "labels", "metadata.labels", &pod.labels));
  }
  HAMI_ASSIGN_OR_RETURN(const json* spec, r.Object(object, "spec", "spec"));
  if (spec != nullptr) {
    HAMI_RETURN_IF_ERROR(
        r.String(*spec, "schedulerName", "spec.schedulerName", &pod.scheduler_name));
    HAMI_RETURN_IF_ERROR(
        r.String(*spec, "runtimeClassName", "spec.runtimeClassName", &pod.runtime_class_name));
    HAMI_RETURN_IF_ERROR(r.String(*spec, "nodeName", "spec.nodeName", &pod.node_name));
    HAMI_RETURN_IF_ERROR(r.Bool(*spec, "hostPID", "spec.hostPID", &pod.host_pid));
    HAMI_RETURN_IF_ERROR(r.Bool(*spec, "hostIPC", "spec.hostIPC", &pod.host_ipc));
    HAMI_RETURN_IF_ERROR(ReadContainers(*spec, "initContainers", r, &pod.init_containers));
    HAMI_RETURN_IF_ERROR(ReadContainers(*spec, "containers", r, &pod.containers));
    HAMI_RETURN_IF_ERROR(ReadHostPathVolumes(*spec, r, &pod.host_path_volumes));
  }
  HAMI_ASSIGN_OR_RETURN(const json* status, r.Object(object, "status", "status"));
  if (status != nullptr) {
    HAMI_RETURN_IF_ERROR(r.String(*status, "phase", "status.phase", &pod.phase));
  }
  return pod;
}

base::Result<NodeObject> NodeFromJson(const json& object) {
  NodeObject node;
  const ObjectReader r("node " + PeekMetadata(object, "name"));
  if (!object.is_object()) return r.Error("(root)", internal::Expected("object", object));
  HAMI_RETURN_IF_ERROR(CheckKind(object, "Node", r));
  HAMI_ASSIGN_OR_RETURN(const json* metadata, r.Object(object, "metadata", "metadata"));
  if (metadata != nullptr) {
    HAMI_RETURN_IF_ERROR(r.String(*metadata, "name", "metadata.name", &node.name));
    HAMI_RETURN_IF_ERROR(r.String(*metadata, "uid", "metadata.uid", &node.uid));
    HAMI_RETURN_IF_ERROR(
        r.String(*metadata, "resourceVersion", "metadata.resourceVersion", &node.resource_version));
    HAMI_RETURN_IF_ERROR(
        r.StringMap(*metadata, "annotations", "metadata.annotations", &node.annotations));
    HAMI_RETURN_IF_ERROR(r.StringMap(*metadata, "labels", "metadata.labels", &node.labels));
  }
  HAMI_ASSIGN_OR_RETURN(const json* spec, r.Object(object, "spec", "spec"));
  if (spec != nullptr) {
    HAMI_RETURN_IF_ERROR(r.Bool(*spec, "unschedulable", "spec.unschedulable", &node.unschedulable));
  }
  HAMI_ASSIGN_OR_RETURN(const json* status, r.Object(object, "status", "status"));
  if (status != nullptr) {
    HAMI_RETURN_IF_ERROR(
        r.Resources(*status, "allocatable", "status.allocatable", &node.allocatable));
    HAMI_RETURN_IF_ERROR(r.Resources(*status, "capacity", "status.capacity", &node.capacity));
  }
  return node;
}

base::Result<model::Pod> PodFromJsonText(std::string_view text) {
  HAMI_ASSIGN_OR_RETURN(json doc, internal::ParseJson(text, "pod"));
  return PodFromJson(doc);
}

base::Result<NodeObject> NodeFromJsonText(std::string_view text) {
  HAMI_ASSIGN_OR_RETURN(json doc, internal::ParseJson(text, "node"));
  return NodeFromJson(doc);
}

}  // namespace hami::codec
