// Mapping of API server answers onto the project's error vocabulary (base::Status).
//
// HTTP status -> StatusCode:
//   400, 422 InvalidArgument    401, 403 PermissionDenied    404 NotFound    405 Unimplemented
//   409 AlreadyExists when the server's reason is "AlreadyExists", else FailedPrecondition
//   ("conflict") 410 FailedPrecondition (resource version expired: re-list)    429, 5xx Unavailable
//   other codes Internal
// Messages read "<what>: <server message> (HTTP <code> <reason>)": the server's metav1.Status
// message and reason when the body is one, else the start of the body. The "(HTTP <code>" marker is
// part of the contract: IsConflict/IsGone rely on it. Pure; thread-compatible.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace hami::k8s {

// OK for 2xx; otherwise the mapping above.
base::Status StatusFromHttp(long http_code, std::string_view body, std::string_view what);

// A metav1.Status object (as carried by a watch ERROR event) as a base::Status using its "code".
base::Status StatusFromApiStatus(const nlohmann::json& status, std::string_view what);

// 409 that is not AlreadyExists: an update lost an optimistic-concurrency race (stale
// resourceVersion). Retry with a fresh read.
bool IsConflict(const base::Status& status);
// 410 Gone / Expired: the resourceVersion is too old; list again.
bool IsGone(const base::Status& status);
bool IsNotFound(const base::Status& status);
bool IsAlreadyExists(const base::Status& status);

}  // namespace hami::k8s
