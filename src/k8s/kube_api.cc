#include "k8s/kube_api.h"

#include <chrono>
#include <cstdio>

#include "codec/time_format.h"

namespace hami::k8s {
namespace {

std::string Member(const nlohmann::json& object, const char* a, const char* b) {
  auto outer = object.find(a);
  if (outer == object.end() || !outer->is_object()) return "";
  auto inner = outer->find(b);
  if (inner == outer->end() || !inner->is_string()) return "";
  return inner->get<std::string>();
}

}  // namespace

base::Result<ListPage> ListAll(KubeApi& api, const ResourcePath& collection, ListOptions options,
                               int64_t page_size) {
  options.limit = page_size;
  options.continue_token.clear();
  ListPage all;
  bool first = true;
  while (true) {
    HAMI_ASSIGN_OR_RETURN(ListPage page, api.List(collection, options));
    if (first) all.resource_version = page.resource_version;
    first = false;
    for (auto& item : page.items) all.items.push_back(std::move(item));
    if (page.continue_token.empty()) return all;
    options.continue_token = page.continue_token;
    // A continued list must not repeat resourceVersion (the token pins the snapshot).
    options.resource_version.clear();
  }
}

base::Status BindPod(KubeApi& api, const std::string& ns, const std::string& name,
                     const std::string& uid, const std::string& node,
                     const nlohmann::json& annotations) {
  nlohmann::json binding = {
      {"apiVersion", "v1"},
      {"kind", "Binding"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
      {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}}},
  };
  if (!uid.empty()) binding["metadata"]["uid"] = uid;
  if (!annotations.empty()) binding["metadata"]["annotations"] = annotations;
  ResourcePath path = PodsPath(ns, name);
  path.subresource = "binding";
  auto result = api.Create(path, binding);
  return result.status();
}

base::Result<nlohmann::json> PatchAnnotations(KubeApi& api, const ResourcePath& object,
                                              const nlohmann::json& annotations) {
  nlohmann::json patch = {{"metadata", {{"annotations", annotations}}}};
  return api.Patch(object, PatchType::kMerge, patch);
}

nlohmann::json MakeEvent(const nlohmann::json& involved, const EventSpec& spec,
                         const std::string& now_rfc3339, const std::string& name_suffix) {
  std::string ns = Member(involved, "metadata", "namespace");
  std::string name = Member(involved, "metadata", "name");
  nlohmann::json ref = {
      {"kind", involved.value("kind", "")},
      {"apiVersion", involved.value("apiVersion", "v1")},
      {"name", name},
      {"uid", Member(involved, "metadata", "uid")},
  };
  if (!ns.empty()) ref["namespace"] = ns;
  if (ns.empty()) ns = "default";  // events about cluster-scoped objects live in "default"
  return {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", name + "." + name_suffix}, {"namespace", ns}}},
      {"involvedObject", ref},
      {"reason", spec.reason},
      {"message", spec.message},
      {"type", spec.type},
      {"source", {{"component", spec.component}}},
      {"reportingComponent", spec.component},
      {"firstTimestamp", now_rfc3339},
      {"lastTimestamp", now_rfc3339},
      {"count", 1},
  };
}

base::Result<nlohmann::json> CreateEvent(KubeApi& api, const nlohmann::json& involved,
                                         const EventSpec& spec, base::Env* env) {
  const auto now = env->WallNow();
  int64_t unix_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  uint64_t nanos = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
  char suffix[32];
  std::snprintf(suffix, sizeof(suffix), "%llx", static_cast<unsigned long long>(nanos));
  nlohmann::json event = MakeEvent(involved, spec, codec::FormatRfc3339(unix_seconds), suffix);
  std::string ns = event["metadata"]["namespace"].get<std::string>();
  return api.Create(EventsPath(ns), event);
}

}  // namespace hami::k8s
