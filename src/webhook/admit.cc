#include "webhook/admit.h"

#include <algorithm>

#include "base/strings.h"
#include "codec/k8s_object.h"
#include "webhook/json_patch.h"

namespace hami::webhook {
namespace {

using nlohmann::json;

// WIRE: upstream's admission messages.
constexpr char kNoContainers[] = "pod has no containers";
constexpr char kNodeAssigned[] = "pod has node assigned";
constexpr char kExceedingQuota[] = "exceeding resource quota";
constexpr char kOtherScheduler[] = "pod already has different scheduler assigned";
constexpr char kIgnored[] = "pod labelled hami.io/webhook=ignore";

bool HandledByOtherScheduler(const model::Pod& pod, const WebhookConfig& config) {
  const std::string& name = pod.scheduler_name;
  if (name.empty()) return false;
  if (name == kDefaultSchedulerName && config.force_overwrite_default_scheduler) return false;
  return config.scheduler_name.empty() || name != config.scheduler_name;
}

// Isolation rules (isolation.h): every violation, joined; "" when there is none.
std::string IsolationDenial(const model::Pod& pod, const WebhookConfig& config,
                            const vendor::Registry& registry) {
  if (config.isolation.exempt_namespaces.count(pod.namespace_name) != 0) return "";
  if (!AsksForGpu(pod, registry)) return "";
  model::Pod admitted = WithoutValueCheckedEnv(pod);
  const bool defaults_ok = vendor::AdmitPod(admitted, registry).ok();
  const std::vector<std::string> violations =
      IsolationViolations(pod, defaults_ok ? &admitted : nullptr, config.isolation, registry);
  return base::Join(violations, "; ");
}

bool FitsQuota(const QuotaDemand& demand, const sched::QuotaState& q) {
  if (q.mem_limit && q.used_mem + demand.mem > *q.mem_limit) return false;
  if (q.core_limit && q.used_cores + demand.cores > *q.core_limit) return false;
  return true;
}

}  // namespace

base::Result<std::map<std::string, QuotaDemand>> QuotaDemands(const model::Pod& pod,
                                                              const vendor::Registry& registry) {
  std::map<std::string, QuotaDemand> app;
  std::map<std::string, QuotaDemand> init_peak;
  for (const auto& vendor : registry.vendors()) {
    for (const auto* list : {&pod.init_containers, &pod.containers}) {
      const bool init = list == &pod.init_containers;
      for (const auto& c : *list) {
        auto request = vendor->ContainerRequest(pod, c);
        if (!request.ok()) return request.error().WithContext("pod " + pod.Key());
        if (!*request) continue;
        const model::DeviceRequest& r = **request;
        const int64_t mem = r.memreq * r.nums;
        const int64_t cores = r.coresreq * r.nums;
        if (init) {
          auto& peak = init_peak[vendor->Name()];
          peak.mem = std::max(peak.mem, mem);
          peak.cores = std::max(peak.cores, cores);
        } else {
          app[vendor->Name()].mem += mem;
          app[vendor->Name()].cores += cores;
        }
      }
    }
  }
  for (const auto& [vendor, peak] : init_peak) {
    auto& d = app[vendor];
    d.mem = std::max(d.mem, peak.mem);
    d.cores = std::max(d.cores, peak.cores);
  }
  return app;
}

AdmissionResponse AdmitPodObject(const json& pod_object, const WebhookConfig& config,
                                 const vendor::Registry& registry, const QuotaLookup& quota) {
  auto decoded = codec::PodFromJson(pod_object);
  if (!decoded.ok()) return AdmissionResponse::Errored(400, decoded.error().message());
  const model::Pod& before = *decoded;
  if (before.containers.empty()) return AdmissionResponse::Denied(kNoContainers);
  if (std::string denial = IsolationDenial(before, config, registry); !denial.empty()) {
    return AdmissionResponse::Denied(std::move(denial));
  }
  if (auto it = before.labels.find(kIgnoreLabel);
      it != before.labels.end() && it->second == kIgnoreLabelValue) {
    return AdmissionResponse::Allowed(kIgnored);
  }
  if (HandledByOtherScheduler(before, config)) return AdmissionResponse::Allowed(kOtherScheduler);

  model::Pod after = before;
  auto uses = vendor::AdmitPod(after, registry);
  if (!uses.ok()) return AdmissionResponse::Errored(500, uses.error().message());
  if (*uses) {
    if (!config.scheduler_name.empty()) {
      after.scheduler_name = config.scheduler_name;
      if (!after.node_name.empty()) return AdmissionResponse::Denied(kNodeAssigned);
    }
    auto demands = QuotaDemands(after, registry);
    if (!demands.ok()) return AdmissionResponse::Errored(500, demands.error().message());
    if (quota) {
      for (const auto& [vendor, demand] : *demands) {
        std::optional<sched::QuotaState> q = quota(after.namespace_name, vendor);
        if (q && !FitsQuota(demand, *q)) return AdmissionResponse::Denied(kExceedingQuota);
      }
    }
  }
  auto patch = PodPatch(pod_object, before, after);
  if (!patch.ok()) return AdmissionResponse::Errored(500, patch.error().message());
  AdmissionResponse response = AdmissionResponse::Allowed();
  response.patch = std::move(*patch);
  return response;
}

base::Result<json> Admit(const json& review, const WebhookConfig& config,
                         const vendor::Registry& registry, const QuotaLookup& quota) {
  HAMI_ASSIGN_OR_RETURN(AdmissionRequest request, ParseAdmissionReview(review));
  if (request.object == nullptr) {
    return RenderAdmissionReview(
        request, AdmissionResponse::Errored(400, "request.object: missing (expected a Pod)"));
  }
  return RenderAdmissionReview(request, AdmitPodObject(*request.object, config, registry, quota));
}

}  // namespace hami::webhook
