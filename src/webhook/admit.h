// The mutating webhook's decision for one pod: HAMi's admission flow (hami-wire §4) as a pure
// function of the pod object, the webhook config, the vendor registry and a quota view.
//
// Flow (first match answers):
//   1. request.object missing or not a Pod          -> Errored 400 (as controller-runtime's
//   decoder)
//   2. no containers                                -> Denied "pod has no containers"
//   3. the pod asks for a GPU resource and breaks an isolation rule (isolation.h; whatever its
//      schedulerName)                               -> Denied, every violation named, "; "-joined
//      (a privileged container reads "container <name> is privileged", as upstream)
//   4. label hami.io/webhook=ignore                 -> Allowed, untouched, message
//      "pod labelled hami.io/webhook=ignore" (upstream's chart keeps such pods from the webhook
//      altogether; here they reach it so step 3 still holds for them)
//   5. spec.schedulerName set, not ours, and not (default-scheduler with force-overwrite on)
//                                                   -> Allowed, untouched
//   6. vendor admission defaults (vendor::AdmitPod) fail -> Errored 500 with the vendor's message
//   7. pod uses HAMi resources and scheduler_name is set: spec.schedulerName := scheduler_name;
//      spec.nodeName already set                    -> Denied "pod has node assigned"
//   8. the pod's requests do not parse              -> Errored 500 with the vendor's message
//   9. quota pre-check fails                        -> Denied "exceeding resource quota"
//  10. Allowed with the JSON Patch of every change (json_patch.h); no patch when nothing changed.
// Pure: no I/O, no logging; the quota view is whatever the caller plugs in.
// Thread-safe for concurrent calls when `quota` is.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "sched/snapshot.h"
#include "vendor/registry.h"
#include "webhook/admission_review.h"
#include "webhook/isolation.h"

namespace hami::webhook {

// WIRE: Kubernetes' default scheduler name.
inline constexpr char kDefaultSchedulerName[] = "default-scheduler";
// WIRE: upstream's opt-out label (hami.io/webhook=ignore): the pod is left as it is.
inline constexpr char kIgnoreLabel[] = "hami.io/webhook";
inline constexpr char kIgnoreLabelValue[] = "ignore";

struct WebhookConfig {
  // --scheduler-name: the name written into pods that use HAMi resources ("" = never rewrite).
  std::string scheduler_name = "hami-scheduler";
  // --force-overwrite-default-scheduler: pods naming default-scheduler are rewritten too.
  bool force_overwrite_default_scheduler = true;
  // Step 3's rules and their exceptions.
  IsolationConfig isolation;
};

// The quota of `namespace_name` for one vendor (hami-wire §3.10), or nullopt when none applies.
// Used is what the scheduler already books in the namespace; limits are already × memoryFactor.
using QuotaLookup = std::function<std::optional<sched::QuotaState>(
    const std::string& namespace_name, const std::string& vendor)>;

// What one pod asks of one vendor, as the quota pre-check counts it:
// max(Σ_app memreq×nums, max_init memreq×nums) and the same for cores. memreq already includes
// memoryFactor and defaultMemory; a percentage-only request counts 0 MiB (its size depends on the
// GPU it lands on; the scheduler's filter enforces quota with the real size).
struct QuotaDemand {
  int64_t mem = 0;
  int64_t cores = 0;
  friend bool operator==(const QuotaDemand&, const QuotaDemand&) = default;
};

// Vendor name -> demand, for the vendors `pod` uses. Errors when a request does not parse.
base::Result<std::map<std::string, QuotaDemand>> QuotaDemands(const model::Pod& pod,
                                                              const vendor::Registry& registry);

// The steps above for one pod object (request.object). `quota` may be empty (no pre-check).
AdmissionResponse AdmitPodObject(const nlohmann::json& pod_object, const WebhookConfig& config,
                                 const vendor::Registry& registry, const QuotaLookup& quota);

// ParseAdmissionReview + AdmitPodObject + RenderAdmissionReview. An error means the review itself
// is malformed (no uid to answer to): the HTTP handler replies 400.
base::Result<nlohmann::json> Admit(const nlohmann::json& review, const WebhookConfig& config,
                                   const vendor::Registry& registry, const QuotaLookup& quota);

}  // namespace hami::webhook
