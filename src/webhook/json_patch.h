// The admission patch: RFC 6902 JSON Patch operations that turn the pod object the API server sent
// into the pod the admission rules produced.
//
// Contract: operations are computed against the ORIGINAL JSON (never a re-serialization), so every
// member the webhook does not own (unknown fields, field order, number formatting) is preserved.
// Only these changes can be expressed; any other difference between `before` and `after` is an
// Internal error (a vendor started mutating something this file does not know how to patch):
//   - metadata.annotations: entries added or changed ("add"; the whole map when absent),
//   - containers[i] / initContainers[i] resources.limits and resources.requests: entries added or
//     changed ("add"; when `resources`, `limits` or `requests` is absent or null, the whole object
//     is added),
//   - containers[i] / initContainers[i] env: literal entries appended (never removed or rewritten;
//     a later duplicate name wins in Kubernetes, as upstream's append does),
//   - spec.schedulerName, spec.runtimeClassName ("add", which also replaces).
// Pure; never throws; thread-compatible.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "model/pod.h"

namespace hami::webhook {

// One reference token of a JSON Pointer (RFC 6901): '~' -> "~0", '/' -> "~1".
std::string EscapeJsonPointerToken(std::string_view token);

// `original`: the pod object as received (it must be the object `before` was decoded from).
// Returns a JSON array of operations; empty when nothing changed.
base::Result<nlohmann::json> PodPatch(const nlohmann::json& original, const model::Pod& before,
                                      const model::Pod& after);

}  // namespace hami::webhook
