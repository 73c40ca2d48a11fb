#include "simulate/workloads.h"

namespace hami::simulate {
namespace {

using nlohmann::json;

const json* Path(const json& object, std::initializer_list<const char*> keys) {
  const json* at = &object;
  for (const char* key : keys) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(key);
    if (it == at->end() || it->is_null()) return nullptr;
    at = &*it;
  }
  return at;
}

// A replica-like count at `keys`: absent = `fallback`; must be an integer in [0, kMaxReplicas].
base::Result<int64_t> Count(const json& object, std::initializer_list<const char*> keys,
                            int64_t fallback, const std::string& where, const char* field) {
  const json* value = Path(object, keys);
  if (value == nullptr) return fallback;
  if (!value->is_number_integer() || value->get<int64_t>() < 0) {
    return base::InvalidArgument(where + ": " + field + ": expected a non-negative integer, got " +
                                 value->dump());
  }
  if (value->get<int64_t>() > kMaxReplicas) {
    return base::InvalidArgument(where + ": " + field + ": " + value->dump() + " exceeds " +
                                 std::to_string(kMaxReplicas));
  }
  return value->get<int64_t>();
}

}  // namespace

base::Result<std::optional<std::vector<json>>> ExpandWorkload(const json& object) {
  const std::string kind = object.value("kind", "");
  const json* meta = Path(object, {"metadata"});
  const std::string name = meta != nullptr ? meta->value("name", "") : "";
  const std::string ns = meta != nullptr ? meta->value("namespace", "") : "";
  const std::string where = kind + " " + (ns.empty() ? "" : ns + "/") + name;
  const json* tmpl = nullptr;
  int64_t pods = 0;
  if (kind == "Deployment" || kind == "ReplicaSet" || kind == "StatefulSet" ||
      kind == "ReplicationController") {
    tmpl = Path(object, {"spec", "template"});
    HAMI_ASSIGN_OR_RETURN(pods, Count(object, {"spec", "replicas"}, 1, where, "spec.replicas"));
  } else if (kind == "Job" || kind == "CronJob") {
    const json* job =
        kind == "Job" ? Path(object, {"spec"}) : Path(object, {"spec", "jobTemplate", "spec"});
    const json empty = json::object();
    const json& spec = job != nullptr ? *job : empty;
    tmpl = Path(spec, {"template"});
    HAMI_ASSIGN_OR_RETURN(pods, Count(spec, {"parallelism"}, 1, where, "parallelism"));
    HAMI_ASSIGN_OR_RETURN(int64_t completions,
                          Count(spec, {"completions"}, pods, where, "completions"));
    pods = std::min(pods, completions);
  } else {
    return std::optional<std::vector<json>>();
  }
  if (tmpl == nullptr || !tmpl->is_object() || Path(*tmpl, {"spec"}) == nullptr) {
    return base::InvalidArgument(where + ": no pod template (spec.template.spec)");
  }
  std::vector<json> out;
  for (int64_t i = 0; i < pods; ++i) {
    json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}};
    pod["metadata"] = tmpl->value("metadata", json::object());
    pod["metadata"]["name"] = name + "-" + std::to_string(i);
    if (!ns.empty()) pod["metadata"]["namespace"] = ns;
    pod["spec"] = (*tmpl)["spec"];
    out.push_back(std::move(pod));
  }
  return std::optional<std::vector<json>>(std::move(out));
}

}  // namespace hami::simulate
