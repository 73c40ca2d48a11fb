// /filter trusts no pod a caller sends: it decides for the pod as the API server has it.
//
// kube-scheduler sends the pod it is scheduling (ExtenderArgs.Pod). Anyone else who can reach
// /filter could send a pod that does not exist (booking capacity for it until the assumption
// expires) or the UID of a running pod (whose booking a filter drops first, see
// SchedulerCache::DecideAndAssume). So the pod is looked up by the namespace and name it claims,
// and /filter goes on only with the API server's copy, when that copy has the UID sent and is not
// bound yet (kube-scheduler filters only pending pods).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "k8s/kube_api.h"

namespace hami::extender {

// The pod informer's copy of "<namespace>/<name>", if it has one.
using CachedPod = std::function<std::optional<nlohmann::json>(const std::string& key)>;

// The API server's copy of the pod `sent` names: `cached` first, then a GET when the informer has
// no such pod or has it under another UID (it may lag behind a delete and re-create). Errors:
// InvalidArgument when `sent` lacks metadata namespace, name or uid; NotFound "pod <ns>/<name>
// does not exist"; FailedPrecondition "pod <ns>/<name> has UID <a>, not <b>" or "pod <ns>/<name>
// is already bound to node <n>"; a failed GET's own error. Thread-safe if `cached` and `api` are.
base::Result<nlohmann::json> VerifyFilteredPod(const nlohmann::json& sent, const CachedPod& cached,
                                               k8s::KubeApi& api);

}  // namespace hami::extender
