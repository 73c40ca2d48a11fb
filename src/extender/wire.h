// The scheduler-extender wire format (k8s.io/kube-scheduler/extender/v1, hami-wire §3.1).
//
// The Go structs have no json tags, so keys are Go field names ("Pod", "NodeNames", ...); Go
// decodes case-insensitively, so we accept any case on input and always write the canonical names.
// Nil pointers/maps serialize as `null`, exactly as kube-scheduler expects. Pure.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace hami::extender {

struct FilterArgs {
  nlohmann::json pod;                                  // v1.Pod
  std::optional<nlohmann::json> nodes;                 // v1.NodeList when nodeCacheCapable=false
  std::optional<std::vector<std::string>> node_names;  // when nodeCacheCapable=true
};

struct FilterResult {
  std::optional<nlohmann::json> nodes;  // NodeList (only on the Nodes path)
  std::optional<std::vector<std::string>> node_names;
  std::map<std::string, std::string> failed_nodes;  // empty renders as null
  std::string error;
};

struct BindArgs {
  std::string pod_name;
  std::string pod_namespace;
  std::string pod_uid;
  std::string node;
};

// Errors name the missing/mistyped field; a missing Pod is an error. Bodies nested deeper than
// codec::kMaxJsonDepth are refused before parsing.
base::Result<FilterArgs> ParseFilterArgs(std::string_view body);
base::Result<BindArgs> ParseBindArgs(std::string_view body);

std::string RenderFilterResult(const FilterResult& result);
// {"Error":""} on success.
std::string RenderBindResult(std::string_view error);

}  // namespace hami::extender
