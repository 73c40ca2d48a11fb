// The /webhook HTTP endpoint: adapts net::HttpServer to the pure admission core (admit.h).
//
// POST /webhook with Content-Type application/json (parameters such as charset allowed):
//   - body not JSON, nested deeper than codec::kMaxJsonDepth, or not an AdmissionReview that can
//     be answered (admission_review.h) -> 400 text/plain with the reason (the API server then
//     applies the webhook's failurePolicy);
//   - wrong Content-Type -> 415;
//   - otherwise 200 with the AdmissionReview response (application/json).
// Each decision is logged once (uid, pod, allowed, code, message): denials and errors at info,
// plain admissions at debug.
// Thread-safety: the handler is called concurrently; `registry` and `quota` must be safe for
// concurrent const use and outlive the server.
#pragma once

#include "net/http_server.h"
#include "vendor/registry.h"
#include "webhook/admit.h"

namespace hami::webhook {

// WIRE: the path the MutatingWebhookConfiguration calls (chart: service <release>-scheduler).
inline constexpr char kWebhookPath[] = "/webhook";

net::HttpHandler WebhookHandler(WebhookConfig config, const vendor::Registry& registry,
                                QuotaLookup quota);

// server.Handle("POST", kWebhookPath, WebhookHandler(...), clients): with `clients`, only TLS
// clients the policy accepts (the API server's client certificate) reach /webhook.
void RegisterWebhook(net::HttpServer& server, WebhookConfig config,
                     const vendor::Registry& registry, QuotaLookup quota,
                     std::optional<net::ClientCertPolicy> clients = std::nullopt);

}  // namespace hami::webhook
