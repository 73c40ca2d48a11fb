#include "webhook/handler.h"

#include "base/log.h"
#include "base/strings.h"
#include "codec/json_util.h"

namespace hami::webhook {
namespace {

using nlohmann::json;

net::HttpResponse Text(int status, std::string body) {
  net::HttpResponse r;
  r.status = status;
  r.body = std::move(body) + "\n";
  return r;
}

bool IsJson(const std::string& content_type) {
  const std::string_view media = base::Trim(base::Split(content_type, ';')[0]);
  return base::ToLower(media) == "application/json";
}

// "namespace/name" (or generateName) of the reviewed pod, for the log line only.
std::string PodRef(const json& review) {
  const json* meta = nullptr;
  if (auto r = review.find("request"); r != review.end() && r->is_object()) {
    if (auto o = r->find("object"); o != r->end() && o->is_object()) {
      if (auto m = o->find("metadata"); m != o->end() && m->is_object()) meta = &*m;
    }
  }
  if (meta == nullptr) return "";
  auto str = [&](const char* key) {
    auto it = meta->find(key);
    return (it != meta->end() && it->is_string()) ? it->get<std::string>() : std::string();
  };
  std::string name = str("name");
  if (name.empty()) name = str("generateName");
  return str("namespace") + "/" + name;
}

void LogDecision(const json& review, const json& out) {
  const json& r = out["response"];
  const bool allowed = r.value("allowed", false);
  const json& status = r.contains("status") ? r["status"] : json::object();
  const std::string message = status.value("message", "");
  std::initializer_list<base::LogField> fields = {
      {"uid", r.value("uid", "")},
      {"pod", PodRef(review)},
      {"allowed", allowed ? "true" : "false"},
      {"code", std::to_string(status.value("code", 0))},
      {"patched", r.contains("patch") ? "true" : "false"},
      {"message", message}};
  if (allowed && message.empty()) {
    base::LogDebug("webhook admission", fields);
  } else {
    base::LogInfo("webhook admission", fields);
  }
}

}  // namespace

net::HttpHandler WebhookHandler(WebhookConfig config, const vendor::Registry& registry,
                                QuotaLookup quota) {
  return [config = std::move(config), &registry,
          quota = std::move(quota)](const net::HttpRequest& request) -> net::HttpResponse {
    if (!IsJson(request.Header("Content-Type"))) {
      return Text(415,
                  "contentType=" + request.Header("Content-Type") + ", expected application/json");
    }
    if (request.body.empty()) return Text(400, "request body is empty");
    auto parsed = codec::ParseBoundedJson(request.body, "AdmissionReview");
    if (!parsed.ok()) return Text(400, parsed.error().message());
    const json& review = *parsed;
    auto out = Admit(review, config, registry, quota);
    if (!out.ok()) {
      base::LogWarn("webhook: bad request", {{"error", out.error().message()}});
      return Text(400, out.error().message());
    }
    LogDecision(review, *out);
    net::HttpResponse response;
    response.content_type = "application/json";
    response.body = out->dump();
    return response;
  };
}

void RegisterWebhook(net::HttpServer& server, WebhookConfig config,
                     const vendor::Registry& registry, QuotaLookup quota,
                     std::optional<net::ClientCertPolicy> clients) {
  server.Handle("POST", kWebhookPath, WebhookHandler(std::move(config), registry, std::move(quota)),
                std::move(clients));
}

}  // namespace hami::webhook
