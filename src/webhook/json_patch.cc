#include "webhook/json_patch.h"

#include <map>
#include <vector>

namespace hami::webhook {
namespace {

using nlohmann::json;

json Op(std::string_view op, const std::string& path, json value) {
  return json{{"op", op}, {"path", path}, {"value", std::move(value)}};
}

// The member `key` of `parent`, nullptr when absent, null, or `parent` is not an object.
const json* Member(const json* parent, std::string_view key) {
  if (parent == nullptr || !parent->is_object()) return nullptr;
  auto it = parent->find(key);
  return (it == parent->end() || it->is_null()) ? nullptr : &*it;
}

json EnvEntry(const std::string& name, const std::string& value) {
  return json{{"name", name}, {"value", value}};
}

// Entries of a string map added or changed in `after` (removals are an Internal error naming
// `what`), as one object.
base::Result<json> Added(const std::map<std::string, std::string>& before,
                         const std::map<std::string, std::string>& after, const std::string& what) {
  for (const auto& [name, value] : before) {
    if (after.count(name) == 0) {
      return base::Internal(what + ": admission removed " + name + ", which cannot be patched");
    }
  }
  json added = json::object();
  for (const auto& [name, value] : after) {
    auto it = before.find(name);
    if (it == before.end() || it->second != value) added[name] = value;
  }
  return added;
}

// `added` under `parent_path`/`key`: the whole object when `key` is absent or null in `parent`,
// else one "add" per entry.
void AddEntries(const json* parent, const std::string& parent_path, std::string_view key,
                const json& added, json* ops) {
  if (added.empty()) return;
  const std::string path = parent_path + "/" + std::string(key);
  if (Member(parent, key) == nullptr) {
    ops->push_back(Op("add", path, added));
    return;
  }
  for (auto it = added.begin(); it != added.end(); ++it) {
    ops->push_back(Op("add", path + "/" + EscapeJsonPointerToken(it.key()), it.value()));
  }
}

// Limits and requests added or changed in `after` relative to `before`, appended to `ops`.
base::Status ResourceOps(const json* container, const std::string& path,
                         const model::Container& before, const model::Container& after, json* ops) {
  HAMI_ASSIGN_OR_RETURN(json limits, Added(before.limits, after.limits, path + " limits"));
  HAMI_ASSIGN_OR_RETURN(json requests, Added(before.requests, after.requests, path + " requests"));
  if (limits.empty() && requests.empty()) return {};
  const json* resources = Member(container, "resources");
  if (resources == nullptr) {
    json whole = json::object();
    if (!limits.empty()) whole["limits"] = limits;
    if (!requests.empty()) whole["requests"] = requests;
    ops->push_back(Op("add", path + "/resources", whole));
    return {};
  }
  AddEntries(resources, path + "/resources", "limits", limits, ops);
  AddEntries(resources, path + "/resources", "requests", requests, ops);
  return {};
}

// Env entries added or changed in `after`, appended to the container's env list.
base::Status EnvOps(const json* container, const std::string& path, const model::Container& before,
                    const model::Container& after, json* ops) {
  for (const auto& [name, value] : before.env) {
    if (after.env.count(name) == 0) {
      return base::Internal(path + ": admission removed env " + name + ", which cannot be patched");
    }
  }
  std::vector<json> entries;
  for (const auto& [name, value] : after.env) {
    auto it = before.env.find(name);
    if (it == before.env.end() || it->second != value) entries.push_back(EnvEntry(name, value));
  }
  if (entries.empty()) return {};
  if (Member(container, "env") == nullptr) {
    ops->push_back(Op("add", path + "/env", json(entries)));
    return {};
  }
  for (auto& e : entries) ops->push_back(Op("add", path + "/env/-", std::move(e)));
  return {};
}

// True when the containers differ only in limits, requests and env.
bool SameExceptPatchable(const model::Container& a, const model::Container& b) {
  return a.name == b.name && a.privileged == b.privileged;
}

base::Status ContainerListOps(const json& spec, std::string_view key,
                              const std::vector<model::Container>& before,
                              const std::vector<model::Container>& after, json* ops) {
  const std::string list_path = "/spec/" + std::string(key);
  if (before.size() != after.size()) {
    return base::Internal(list_path + ": admission changed the number of containers");
  }
  const json* list = Member(&spec, key);
  for (size_t i = 0; i < before.size(); ++i) {
    const std::string path = list_path + "/" + std::to_string(i);
    if (!SameExceptPatchable(before[i], after[i])) {
      return base::Internal(path + ": admission changed a field that cannot be patched");
    }
    const json* container =
        (list != nullptr && list->is_array() && i < list->size()) ? &(*list)[i] : nullptr;
    if (container == nullptr) {
      return base::Internal(path + ": not present in the original object");
    }
    HAMI_RETURN_IF_ERROR(ResourceOps(container, path, before[i], after[i], ops));
    HAMI_RETURN_IF_ERROR(EnvOps(container, path, before[i], after[i], ops));
  }
  return {};
}

bool SamePodExceptPatchable(const model::Pod& a, const model::Pod& b) {
  return a.namespace_name == b.namespace_name && a.name == b.name && a.uid == b.uid &&
         a.labels == b.labels && a.node_name == b.node_name && a.phase == b.phase;
}

}  // namespace

std::string EscapeJsonPointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

base::Result<json> PodPatch(const json& original, const model::Pod& before,
                            const model::Pod& after) {
  if (!SamePodExceptPatchable(before, after)) {
    return base::Internal("admission changed pod metadata or status, which cannot be patched");
  }
  json ops = json::array();
  HAMI_ASSIGN_OR_RETURN(json annotations,
                        Added(before.annotations, after.annotations, "metadata.annotations"));
  if (!annotations.empty()) {
    const json* metadata = Member(&original, "metadata");
    if (metadata == nullptr) {
      ops.push_back(Op("add", "/metadata", json{{"annotations", annotations}}));
    } else {
      AddEntries(metadata, "/metadata", "annotations", annotations, &ops);
    }
  }
  const json* spec = Member(&original, "spec");
  if (spec == nullptr || !spec->is_object()) {
    return base::Internal("the original pod object has no spec");
  }
  HAMI_RETURN_IF_ERROR(ContainerListOps(*spec, "initContainers", before.init_containers,
                                        after.init_containers, &ops));
  HAMI_RETURN_IF_ERROR(
      ContainerListOps(*spec, "containers", before.containers, after.containers, &ops));
  if (after.scheduler_name != before.scheduler_name) {
    ops.push_back(Op("add", "/spec/schedulerName", after.scheduler_name));
  }
  if (after.runtime_class_name != before.runtime_class_name) {
    ops.push_back(Op("add", "/spec/runtimeClassName", after.runtime_class_name));
  }
  return ops;
}

}  // namespace hami::webhook
