// AdmissionReview (admission.k8s.io/v1 and v1beta1) read from and written to JSON.
//
// WIRE: the review a mutating webhook receives and answers. The response keeps the request's
// apiVersion and echoes request.uid as response.uid (the API server rejects anything else).
// Denials and errors carry a metav1.Status under response.status, as controller-runtime writes
// them: Denied -> {code: 403, reason: "Forbidden", message}, Errored -> {code, message}.
// Pure; never throws; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace hami::webhook {

// WIRE: the two accepted apiVersions.
inline constexpr char kAdmissionV1[] = "admission.k8s.io/v1";
inline constexpr char kAdmissionV1beta1[] = "admission.k8s.io/v1beta1";

struct AdmissionRequest {
  std::string api_version;  // kAdmissionV1 or kAdmissionV1beta1
  std::string uid;          // request.uid (non-empty)
  std::string operation;    // request.operation ("CREATE", ...; may be empty)
  // request.object, or nullptr when absent/null. Points into the parsed review: valid while it
  // lives.
  const nlohmann::json* object = nullptr;
};

struct AdmissionResponse {
  bool allowed = false;
  int32_t code = 200;                              // response.status.code
  std::string reason;                              // response.status.reason ("" = omitted)
  std::string message;                             // response.status.message ("" = omitted)
  nlohmann::json patch = nlohmann::json::array();  // JSON Patch ops; empty = no patch

  static AdmissionResponse Allowed(std::string message = "");
  static AdmissionResponse Denied(std::string message);  // 403 Forbidden
  static AdmissionResponse Errored(int32_t code, std::string message);
};

// Errors (InvalidArgument) when `review` is not an object, its apiVersion is not one of the two
// above, kind is present and not "AdmissionReview", request is missing or not an object, or
// request.uid is missing/empty/not a string. Such a review cannot be answered in kind: the HTTP
// handler replies 400.
base::Result<AdmissionRequest> ParseAdmissionReview(const nlohmann::json& review);

// {"apiVersion": <request's>, "kind": "AdmissionReview", "response": {"uid", "allowed",
//  "status"?, "patchType": "JSONPatch"?, "patch": <base64 of the ops>?}}
nlohmann::json RenderAdmissionReview(const AdmissionRequest& request,
                                     const AdmissionResponse& response);

// Standard base64 (RFC 4648 §4, with padding).
std::string Base64Encode(std::string_view bytes);
// Inverse of Base64Encode; nullopt on malformed input.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace hami::webhook
