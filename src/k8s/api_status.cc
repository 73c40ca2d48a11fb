#include "k8s/api_status.h"

#include <string>

#include "base/strings.h"

namespace hami::k8s {
namespace {

using base::StatusCode;

StatusCode CodeFor(long http_code, std::string_view reason) {
  switch (http_code) {
    case 400:
    case 422:
      return StatusCode::kInvalidArgument;
    case 401:
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 405:
      return StatusCode::kUnimplemented;
    case 409:
      return reason == "AlreadyExists" ? StatusCode::kAlreadyExists
                                       : StatusCode::kFailedPrecondition;
    case 410:
      return StatusCode::kFailedPrecondition;
    case 429:
      return StatusCode::kUnavailable;
    default:
      return http_code >= 500 && http_code <= 599 ? StatusCode::kUnavailable
                                                  : StatusCode::kInternal;
  }
}

std::string StringMember(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

base::Status Build(long http_code, const std::string& message, const std::string& reason,
                   std::string_view what) {
  StatusCode code = CodeFor(http_code, reason);
  std::string text(what);
  text += ": ";
  if (code == StatusCode::kFailedPrecondition && http_code == 409) text += "conflict: ";
  text += message.empty() ? "(no message)" : message;
  text += " (HTTP " + std::to_string(http_code);
  if (!reason.empty()) text += " " + reason;
  text += ")";
  return {code, std::move(text)};
}

bool HasHttpMarker(const base::Status& status, std::string_view code) {
  return base::Contains(status.message(), "(HTTP " + std::string(code));
}

}  // namespace

base::Status StatusFromHttp(long http_code, std::string_view body, std::string_view what) {
  if (http_code >= 200 && http_code <= 299) return base::Status::Ok();
  std::string message;
  std::string reason;
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && StringMember(parsed, "kind") == "Status") {
    message = StringMember(parsed, "message");
    reason = StringMember(parsed, "reason");
  } else {
    constexpr size_t kMaxBody = 256;
    std::string_view trimmed = base::Trim(body);
    message = std::string(trimmed.substr(0, kMaxBody));
    if (trimmed.size() > kMaxBody) message += "...";
  }
  return Build(http_code, message, reason, what);
}

base::Status StatusFromApiStatus(const nlohmann::json& status, std::string_view what) {
  if (!status.is_object()) {
    return {StatusCode::kInternal, std::string(what) + ": malformed Status object"};
  }
  long code = 500;
  auto it = status.find("code");
  if (it != status.end() && it->is_number_integer()) code = it->get<long>();
  if (code >= 200 && code <= 299) code = 500;  // an ERROR event is never a success
  return Build(code, StringMember(status, "message"), StringMember(status, "reason"), what);
}

bool IsConflict(const base::Status& status) {
  return status.code() == StatusCode::kFailedPrecondition && HasHttpMarker(status, "409");
}
bool IsGone(const base::Status& status) {
  return status.code() == StatusCode::kFailedPrecondition && HasHttpMarker(status, "410");
}
bool IsNotFound(const base::Status& status) { return status.code() == StatusCode::kNotFound; }
bool IsAlreadyExists(const base::Status& status) {
  return status.code() == StatusCode::kAlreadyExists;
}

}  // namespace hami::k8s
