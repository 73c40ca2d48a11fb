#include "extender/wire.h"

#include "base/strings.h"
#include "codec/json_util.h"

namespace hami::extender {
namespace {

// Go's encoding/json: exact key first, then the first case-insensitive match.
const nlohmann::json* Member(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(std::string(key));
  if (it != obj.end()) return &*it;
  const std::string lower = base::ToLower(key);
  for (auto jt = obj.begin(); jt != obj.end(); ++jt) {
    if (base::ToLower(jt.key()) == lower) return &*jt;
  }
  return nullptr;
}

base::Result<nlohmann::json> Parse(std::string_view body, std::string_view what) {
  if (body.empty()) return base::InvalidArgument(std::string(what) + ": empty request body");
  HAMI_ASSIGN_OR_RETURN(nlohmann::json json, codec::ParseBoundedJson(body, what));
  if (!json.is_object()) return base::InvalidArgument(std::string(what) + ": expected an object");
  return json;
}

base::Status ReadString(const nlohmann::json& obj, std::string_view key, std::string* out) {
  const nlohmann::json* v = Member(obj, key);
  if (v == nullptr || v->is_null()) return {};
  if (!v->is_string())
    return base::InvalidArgument("ExtenderBindingArgs." + std::string(key) + ": expected a string");
  *out = v->get<std::string>();
  return {};
}

}  // namespace

base::Result<FilterArgs> ParseFilterArgs(std::string_view body) {
  HAMI_ASSIGN_OR_RETURN(nlohmann::json json, Parse(body, "ExtenderArgs"));
  FilterArgs args;
  const nlohmann::json* pod = Member(json, "Pod");
  if (pod == nullptr || !pod->is_object()) {
    return base::InvalidArgument("ExtenderArgs.Pod: missing or not an object");
  }
  args.pod = *pod;
  if (const nlohmann::json* nodes = Member(json, "Nodes"); nodes != nullptr && !nodes->is_null()) {
    if (!nodes->is_object())
      return base::InvalidArgument("ExtenderArgs.Nodes: expected a NodeList");
    args.nodes = *nodes;
  }
  if (const nlohmann::json* names = Member(json, "NodeNames");
      names != nullptr && !names->is_null()) {
    if (!names->is_array()) return base::InvalidArgument("ExtenderArgs.NodeNames: expected a list");
    std::vector<std::string> list;
    for (const auto& n : *names) {
      if (!n.is_string()) return base::InvalidArgument("ExtenderArgs.NodeNames: expected strings");
      list.push_back(n.get<std::string>());
    }
    args.node_names = std::move(list);
  }
  return args;
}

base::Result<BindArgs> ParseBindArgs(std::string_view body) {
  HAMI_ASSIGN_OR_RETURN(nlohmann::json json, Parse(body, "ExtenderBindingArgs"));
  BindArgs args;
  HAMI_RETURN_IF_ERROR(ReadString(json, "PodName", &args.pod_name));
  HAMI_RETURN_IF_ERROR(ReadString(json, "PodNamespace", &args.pod_namespace));
  HAMI_RETURN_IF_ERROR(ReadString(json, "PodUID", &args.pod_uid));
  HAMI_RETURN_IF_ERROR(ReadString(json, "Node", &args.node));
  if (args.pod_name.empty() || args.node.empty()) {
    return base::InvalidArgument("ExtenderBindingArgs: PodName and Node are required");
  }
  return args;
}

std::string RenderFilterResult(const FilterResult& result) {
  nlohmann::ordered_json out;
  out["Nodes"] = result.nodes ? nlohmann::ordered_json(*result.nodes) : nlohmann::ordered_json();
  if (result.node_names) {
    out["NodeNames"] = *result.node_names;
  } else {
    out["NodeNames"] = nullptr;
  }
  if (result.failed_nodes.empty()) {
    out["FailedNodes"] = nullptr;
  } else {
    out["FailedNodes"] = result.failed_nodes;
  }
  out["FailedAndUnresolvableNodes"] = nullptr;
  out["Error"] = result.error;
  return codec::DumpJson(out);
}

std::string RenderBindResult(std::string_view error) {
  nlohmann::ordered_json out;
  out["Error"] = std::string(error);
  return codec::DumpJson(out);
}

}  // namespace hami::extender
