#include "extender/pod_identity.h"

#include "k8s/api_status.h"
#include "k8s/resource_path.h"

namespace hami::extender {
namespace {

std::string StringAt(const nlohmann::json& object, const char* parent, const char* key) {
  const auto section = object.find(parent);
  if (section == object.end() || !section->is_object()) return "";
  const auto value = section->find(key);
  return value != section->end() && value->is_string() ? value->get<std::string>() : "";
}

// The error for the API server's `stored` copy of pod `key` when it is not the pod sent, else OK.
base::Status Compare(const nlohmann::json& stored, const std::string& key, const std::string& uid) {
  const std::string stored_uid = StringAt(stored, "metadata", "uid");
  if (stored_uid != uid) {
    return base::FailedPrecondition("pod " + key + " has UID " + stored_uid + ", not " + uid);
  }
  const std::string node = StringAt(stored, "spec", "nodeName");
  if (!node.empty()) {
    return base::FailedPrecondition("pod " + key + " is already bound to node " + node);
  }
  return {};
}

}  // namespace

base::Result<nlohmann::json> VerifyFilteredPod(const nlohmann::json& sent, const CachedPod& cached,
                                               k8s::KubeApi& api) {
  const std::string ns = StringAt(sent, "metadata", "namespace");
  const std::string name = StringAt(sent, "metadata", "name");
  const std::string uid = StringAt(sent, "metadata", "uid");
  if (ns.empty() || name.empty() || uid.empty()) {
    return base::InvalidArgument(
        "pod: metadata.namespace, metadata.name and metadata.uid are "
        "required");
  }
  const std::string key = ns + "/" + name;
  if (std::optional<nlohmann::json> copy = cached ? cached(key) : std::nullopt;
      copy && StringAt(*copy, "metadata", "uid") == uid) {
    HAMI_RETURN_IF_ERROR(Compare(*copy, key, uid));
    return *std::move(copy);
  }
  auto fetched = api.Get(k8s::PodsPath(ns, name));
  if (!fetched.ok()) {
    if (k8s::IsNotFound(fetched.status())) return base::NotFound("pod " + key + " does not exist");
    return fetched.status().WithContext("get pod " + key);
  }
  HAMI_RETURN_IF_ERROR(Compare(*fetched, key, uid));
  return *std::move(fetched);
}

}  // namespace hami::extender
