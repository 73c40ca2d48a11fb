#include "webhook/admission_review.h"
#include "codec/json_util.h"

#include <array>

namespace hami::webhook {
namespace {

using nlohmann::json;

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

base::Status Malformed(const std::string& why) {
  return base::InvalidArgument("malformed AdmissionReview: " + why);
}

}  // namespace

AdmissionResponse AdmissionResponse::Allowed(std::string message) {
  AdmissionResponse r;
  r.allowed = true;
  r.code = 200;
  r.message = std::move(message);
  return r;
}

AdmissionResponse AdmissionResponse::Denied(std::string message) {
  AdmissionResponse r;
  r.allowed = false;
  r.code = 403;
  r.reason = "Forbidden";
  r.message = std::move(message);
  return r;
}

AdmissionResponse AdmissionResponse::Errored(int32_t code, std::string message) {
  AdmissionResponse r;
  r.allowed = false;
  r.code = code;
  r.message = std::move(message);
  return r;
}

base::Result<AdmissionRequest> ParseAdmissionReview(const json& review) {
  if (!review.is_object()) return Malformed("expected a JSON object");
  AdmissionRequest out;
  auto api = review.find("apiVersion");
  if (api == review.end() || !api->is_string()) return Malformed("apiVersion missing");
  out.api_version = api->get<std::string>();
  if (out.api_version != kAdmissionV1 && out.api_version != kAdmissionV1beta1) {
    return Malformed("unsupported apiVersion \"" + out.api_version + "\" (want " + kAdmissionV1 +
                     " or " + kAdmissionV1beta1 + ")");
  }
  if (auto kind = review.find("kind"); kind != review.end() && !kind->is_null()) {
    if (!kind->is_string() || kind->get<std::string>() != "AdmissionReview") {
      return Malformed("kind is not AdmissionReview");
    }
  }
  auto request = review.find("request");
  if (request == review.end() || !request->is_object()) return Malformed("request missing");
  auto uid = request->find("uid");
  if (uid == request->end() || !uid->is_string() || uid->get<std::string>().empty()) {
    return Malformed("request.uid missing");
  }
  out.uid = uid->get<std::string>();
  if (auto op = request->find("operation"); op != request->end() && op->is_string()) {
    out.operation = op->get<std::string>();
  }
  if (auto object = request->find("object"); object != request->end() && !object->is_null()) {
    out.object = &*object;
  }
  return out;
}

json RenderAdmissionReview(const AdmissionRequest& request, const AdmissionResponse& response) {
  json r = {{"uid", request.uid}, {"allowed", response.allowed}};
  json status = {{"code", response.code}};
  if (!response.reason.empty()) status["reason"] = response.reason;
  if (!response.message.empty()) status["message"] = response.message;
  r["status"] = std::move(status);
  if (response.patch.is_array() && !response.patch.empty()) {
    r["patchType"] = "JSONPatch";
    r["patch"] = Base64Encode(codec::DumpJson(response.patch));
  }
  return json{
      {"apiVersion", request.api_version}, {"kind", "AdmissionReview"}, {"response", std::move(r)}};
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  std::array<int, 256> value;
  value.fill(-1);
  for (int i = 0; i < 64; ++i) value[uint8_t(kAlphabet[i])] = i;
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int pad = 0;
    uint32_t v = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        ++pad;
        v <<= 6;
        continue;
      }
      if (pad > 0 || value[uint8_t(c)] < 0) return std::nullopt;
      v = (v << 6) | uint32_t(value[uint8_t(c)]);
    }
    out += char((v >> 16) & 0xff);
    if (pad < 2) out += char((v >> 8) & 0xff);
    if (pad < 1) out += char(v & 0xff);
  }
  return out;
}

}  // namespace hami::webhook
