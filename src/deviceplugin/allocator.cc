#include "deviceplugin/allocator.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "codec/k8s_object.h"
#include "codec/mig_allocations.h"
#include "codec/node_lock.h"
#include "codec/pod_devices.h"
#include "deviceplugin/host_files.h"
#include "deviceplugin/volcano_wire.h"
#include "deviceplugin/write_retry.h"
#include "k8s/resource_path.h"
#include "model/device.h"
#include "model/protocol.h"
#include "vendor/nvidia/wire.h"

namespace hami::deviceplugin {

namespace nvidia = vendor::nvidia;
namespace {

using Json = nlohmann::json;

std::string AnnotationOf(const Json& object, const std::string& key) {
  const auto& meta = object.value("metadata", Json::object());
  const auto& annotations = meta.value("annotations", Json::object());
  auto it = annotations.find(key);
  return (it != annotations.end() && it->is_string()) ? it->get<std::string>() : "";
}

// True when `pod` is bound to `node` and still has NVIDIA devices to allocate.
bool HasPendingDevices(const model::Pod& pod, const std::string& node) {
  if (pod.node_name != node) return false;
  const std::string* value = pod.Annotation(nvidia::kToAllocateAnnotation);
  return value != nullptr && value->find(nvidia::kVendorName) != std::string::npos;
}

// The pods of a list that decode, each beside its JSON (for securityContext); others are skipped.
// Pods are seen through ViewAsHami(keys).
std::pair<std::vector<model::Pod>, std::vector<const Json*>> DecodePods(
    const std::vector<Json>& items, const PodKeys& keys) {
  std::pair<std::vector<model::Pod>, std::vector<const Json*>> out;
  for (const auto& item : items) {
    auto pod = codec::PodFromJson(item);
    if (!pod.ok()) continue;
    ViewAsHami(*pod, keys);
    out.first.push_back(std::move(pod).value());
    out.second.push_back(&item);
  }
  return out;
}

}  // namespace

std::string RandomUuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char text[40];
  std::snprintf(text, sizeof(text), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return text;
}

Allocator::Allocator(k8s::KubeApi& api, k8s::NodeLocker& locker, AllocatorConfig config)
    : api_(api), locker_(locker), config_(std::move(config)) {
  if (!config_.new_cache_name) config_.new_cache_name = RandomUuid;
}

void Allocator::UpdateSettings(const AllocateSettings& settings) {
  std::lock_guard<std::mutex> lock(mu_);
  config_.settings = settings;
}

constexpr size_t kFinishedKept = 4096;  // far more than a node admits while the API view lags

base::Result<Allocator::PodRecord> Allocator::FindPendingPod() {
  return config_.kubelet_pods ? FindAdmittedPod() : FindLockOwner();
}

base::Result<Allocator::PodRecord> Allocator::MatchAdmitted(
    const std::vector<Json>& items, const std::vector<KubeletPod>& kubelet) {
  // Only a Pending pod can be asking (AwaitsAllocation): the node's running pods are not decoded.
  std::vector<Json> pending;
  for (const auto& item : items) {
    if (!item.is_object()) continue;
    const auto& status = item.value("status", Json::object());
    if (status.value("phase", "") == "Pending") pending.push_back(item);
  }
  auto [bound, raw] = DecodePods(pending, config_.keys);
  HAMI_ASSIGN_OR_RETURN(model::Pod admitted,
                        AdmittedPod(bound, config_.node_name, kubelet, finished_));
  for (size_t i = 0; i < bound.size(); ++i) {
    if (bound[i].uid == admitted.uid) return PodRecord{std::move(bound[i]), *raw[i]};
  }
  return base::Internal("matched pod vanished from the list");
}

base::Result<Allocator::PodRecord> Allocator::FindAdmittedPod() {
  if (config_.node_pods) {
    if (auto cached = config_.node_pods()) {
      HAMI_ASSIGN_OR_RETURN(std::vector<KubeletPod> kubelet, config_.kubelet_pods());
      auto match = MatchAdmitted(*cached, kubelet);
      if (match.ok()) return match;
    }
  }
  k8s::ListOptions options;
  options.field_selector = "spec.nodeName=" + config_.node_name;
  base::Status last;
  for (int attempt = 0; attempt < std::max(config_.match_attempts, 1); ++attempt) {
    if (attempt > 0) config_.env->SleepFor(config_.retry_delay);
    HAMI_ASSIGN_OR_RETURN(k8s::ListPage page, k8s::ListAll(api_, k8s::PodsPath(""), options));
    HAMI_ASSIGN_OR_RETURN(std::vector<KubeletPod> kubelet, config_.kubelet_pods());
    auto match = MatchAdmitted(page.items, kubelet);
    if (match.ok()) return match;
    last = match.error();
  }
  return last;
}

void Allocator::Finish(const model::Pod& pod) {
  if (!finished_.insert(pod.uid).second) return;
  finished_order_.push_back(pod.uid);
  if (finished_order_.size() > kFinishedKept) {
    finished_.erase(finished_order_.front());
    finished_order_.pop_front();
  }
}

base::Result<Allocator::PodRecord> Allocator::FindLockOwner() {
  if (!config_.keys.volcano) {
    HAMI_ASSIGN_OR_RETURN(Json node, api_.Get(k8s::NodesPath(config_.node_name)));
    auto lock = codec::ParseNodeLock(AnnotationOf(node, model::kNodeLockAnnotation));
    if (lock.ok() && !lock->legacy) {
      auto json = api_.Get(k8s::PodsPath(lock->pod_namespace, lock->pod_name));
      if (json.ok()) {
        auto pod = codec::PodFromJson(*json);
        if (pod.ok() && HasPendingDevices(*pod, config_.node_name)) {
          return PodRecord{std::move(pod).value(), std::move(json).value()};
        }
      }
    }
  }
  k8s::ListOptions options;
  options.field_selector = "spec.nodeName=" + config_.node_name;
  HAMI_ASSIGN_OR_RETURN(k8s::ListPage page, k8s::ListAll(api_, k8s::PodsPath(""), options));
  auto [pods, raw] = DecodePods(page.items, config_.keys);
  std::vector<model::Pod> ordered = pods;                            // pods[i] stays beside raw[i]
  if (config_.keys.volcano) SortByBindTime(ordered, HamiPodKeys());  // read through ViewAsHami
  auto chosen = SelectPendingPod(ordered, config_.node_name);
  if (!chosen) {
    return base::NotFound("no pending pod with GPUs to allocate on node " + config_.node_name);
  }
  for (size_t i = 0; i < pods.size(); ++i) {
    if (pods[i].uid == chosen->uid) return PodRecord{*chosen, *raw[i]};
  }
  return base::Internal("selected pod vanished from the list");
}

base::Status Allocator::TryWrite(const std::function<base::Status()>& write) {
  return RetryWhileUnavailable(write, config_.match_attempts, config_.retry_delay, *config_.env,
                               "allocate");
}

void Allocator::ReleaseLock(const model::Pod& pod) {
  base::Status status;
  if (config_.keys.volcano) {
    Json patch = {{"metadata", {{"annotations", {{volcano::kNodeLockAnnotation, nullptr}}}}}};
    auto patched = api_.Patch(k8s::NodesPath(config_.node_name), k8s::PatchType::kMerge, patch);
    if (!patched.ok()) status = patched.error();
  } else {
    status = locker_.Release(config_.node_name, pod.namespace_name, pod.name);
  }
  if (!status.ok()) {
    base::LogWarn("release node lock", {{"pod", pod.Key()}, {"error", status.message()}});
  }
}

base::Status Allocator::SetBindPhase(const model::Pod& pod, const char* phase) {
  return TryWrite([&] {
    auto patched = k8s::PatchAnnotations(api_, k8s::PodsPath(pod.namespace_name, pod.name),
                                         {{config_.keys.bind_phase, phase}});
    return patched.ok() ? base::Status() : patched.error();
  });
}

base::Result<std::vector<ContainerAllocation>> Allocator::AllocateFor(
    const PodRecord& record, const std::vector<std::vector<std::string>>& requests) {
  const model::Pod& pod = record.pod;
  if (pod.uid.empty()) return base::InvalidArgument("pod " + pod.Key() + " has no uid");
  std::map<std::string, ContainerOwner> owners;
  for (const auto* list : {&pod.init_containers, &pod.containers}) {
    for (const auto& c : *list) owners[c.name] = OwnerOf(record.json, c.name);
  }
  if (config_.keys.volcano) {
    const std::string* mode = pod.Annotation(volcano::kModeAnnotation);
    if (mode != nullptr && !mode->empty() && *mode != model::kModeHamiCore) {
      return base::FailedPrecondition("pod " + pod.Key() + ": " + volcano::kModeAnnotation + " " +
                                      *mode + " is not served (hami-core only)");
    }
  }
  if (!config_.settings.mps_root.empty()) {
    HAMI_RETURN_IF_ERROR(CheckMpsDaemon(config_.settings.mps_root).WithContext("pod " + pod.Key()));
  }
  HAMI_ASSIGN_OR_RETURN(AllocatePlan plan, PlanAllocate(pod, requests, config_.settings, owners,
                                                        config_.new_cache_name));
  Json annotations = {{config_.keys.to_allocate, plan.remaining_to_allocate}};
  if (config_.settings.mig) {
    HAMI_ASSIGN_OR_RETURN(annotations[nvidia::kMigAllocationsAnnotation],
                          RealizeMig(pod, requests, plan.containers));
  }
  for (const auto& container : plan.containers) {
    if (container.host_dir.empty()) continue;  // mode "mig"
    HAMI_RETURN_IF_ERROR(
        PrepareContainerDir(container.host_dir, container.owner).WithContext("pod " + pod.Key()));
  }
  const auto path = k8s::PodsPath(pod.namespace_name, pod.name);
  if (config_.kubelet_pods) {
    // Allocate calls are serialized here and the kubelet admits one pod at a time, so what is left
    // is what this plan says: one patch, carrying the end of the bind when nothing is left.
    Json patch = {{"metadata", {{"annotations", annotations}}}};
    if (plan.all_allocated && !config_.keys.volcano) {
      patch = FinishBindPatch(std::move(annotations), config_.node_name);
      if (config_.finish != nullptr && !config_.settings.mig) {
        Finish(pod);
        config_.finish->Push({pod.namespace_name, pod.name, pod.uid, std::move(patch)});
        return std::move(plan.containers);
      }
    } else if (plan.all_allocated) {
      patch["metadata"]["annotations"][config_.keys.bind_phase] = model::kBindPhaseSuccess;
    }
    auto patched = TryWrite([&] {
      auto result = api_.Patch(path, k8s::PatchType::kMerge, patch);
      return result.ok() ? base::Status() : result.error();
    });
    if (!patched.ok()) return patched.WithContext("patch pod " + pod.Key());
    if (plan.all_allocated) Finish(pod);
    if (plan.all_allocated && config_.keys.volcano) ReleaseLock(pod);
    return std::move(plan.containers);
  }
  auto patched = k8s::PatchAnnotations(api_, path, annotations);
  if (!patched.ok()) return patched.error().WithContext("patch pod " + pod.Key());
  // Re-read: another container's Allocate may have run in between (as upstream does).
  HAMI_ASSIGN_OR_RETURN(Json fresh, api_.Get(path));
  std::string left = AnnotationOf(fresh, config_.keys.to_allocate);
  if (left.find(nvidia::kVendorName) == std::string::npos) {
    HAMI_RETURN_IF_ERROR(
        SetBindPhase(pod, model::kBindPhaseSuccess).WithContext("pod " + pod.Key()));
    ReleaseLock(pod);
  }
  return std::move(plan.containers);
}

base::Result<std::string> Allocator::RealizeMig(
    const model::Pod& pod, const std::vector<std::vector<std::string>>& requests,
    std::vector<ContainerAllocation>& containers) {
  const std::string where = "pod " + pod.Key();
  if (config_.mig == nullptr) return base::FailedPrecondition(where + ": MIG control unavailable");
  const std::string* value = pod.Annotation(nvidia::kMigAllocationsAnnotation);
  if (value == nullptr || value->empty()) {
    return base::FailedPrecondition(where + ": no " +
                                    std::string(nvidia::kMigAllocationsAnnotation));
  }
  auto decoded = codec::DecodeMigAllocations(*value);
  if (!decoded.ok()) {
    return decoded.error().WithContext(where + ": " + nvidia::kMigAllocationsAnnotation);
  }
  std::vector<model::MigAllocation> entries = std::move(decoded).value();
  for (size_t r = 0; r < containers.size(); ++r) {
    HAMI_ASSIGN_OR_RETURN(auto wanted,
                          MigBookingsFor(pod, entries, containers[r], requests[r].size()));
    auto realized = config_.mig->Realize(wanted);
    if (!realized.ok()) return realized.error().WithContext(where);
    std::vector<std::string> uuids;
    for (size_t k = 0; k < wanted.size(); ++k) {
      RecordRealized(entries, wanted[k], (*realized)[k]);
      uuids.push_back((*realized)[k].mig_uuid);
    }
    SetMigVisibleDevices(containers[r], uuids);
  }
  return codec::EncodeMigAllocations(entries);
}

base::Result<std::vector<ContainerAllocation>> Allocator::Allocate(
    const std::vector<std::vector<std::string>>& requests) {
  std::lock_guard<std::mutex> lock(mu_);
  auto record = FindPendingPod();
  if (!record.ok()) return record.error().WithContext("allocate");
  auto result = AllocateFor(*record, requests);
  const model::Pod& pod = record->pod;
  if (result.ok()) {
    base::LogInfo("allocated",
                  {{"pod", pod.Key()}, {"containers", std::to_string(result->size())}});
    return result;
  }
  base::LogError("allocate failed", {{"pod", pod.Key()}, {"error", result.error().message()}});
  Finish(pod);
  if (auto s = SetBindPhase(pod, model::kBindPhaseFailed); !s.ok()) {
    base::LogWarn("set bind-phase failed", {{"pod", pod.Key()}, {"error", s.message()}});
  }
  if (!config_.kubelet_pods || config_.keys.volcano) ReleaseLock(pod);
  return result.error();
}

std::vector<std::vector<std::string>> Allocator::Preferred(
    const std::vector<PreferredRequest>& requests,
    const std::map<std::string, std::string>& replica_to_uuid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto record = FindPendingPod();
  if (!record.ok()) return std::vector<std::vector<std::string>>(requests.size());
  return PreferredAllocation(record->pod, requests, replica_to_uuid);
}

}  // namespace hami::deviceplugin
