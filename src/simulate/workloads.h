// The pods a workload object would create, as its controller would, for `hami simulate`:
// Deployment, ReplicaSet, StatefulSet, ReplicationController: spec.replicas (default 1) pods of
// spec.template; Job: spec.parallelism (default 1), at most spec.completions; CronJob: one run of
// spec.jobTemplate. Each pod is named "<workload>-<i>", lives in the workload's namespace and
// carries the template's metadata and spec. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace hami::simulate {

// More replicas than this in one workload is an error (a typo, not a plan).
inline constexpr int64_t kMaxReplicas = 10000;

// nullopt when `object` is not a workload kind listed above. Errors name the object and field:
// a missing template, a replica count that is not a non-negative integer or exceeds kMaxReplicas.
base::Result<std::optional<std::vector<nlohmann::json>>> ExpandWorkload(
    const nlohmann::json& object);

}  // namespace hami::simulate
