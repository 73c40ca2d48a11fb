#include "extender/bind.h"

#include <chrono>
#include <thread>

#include "codec/mig_allocations.h"
#include "codec/node_lock.h"
#include "codec/pod_devices.h"
#include "vendor/cluster_state.h"
#include "vendor/nvidia/nvidia_vendor.h"

namespace hami::extender {
namespace {

std::string AnnotationOf(const nlohmann::json& object, const std::string& key) {
  const auto& meta = object.value("metadata", nlohmann::json::object());
  const auto& annotations = meta.value("annotations", nlohmann::json::object());
  auto it = annotations.find(key);
  return (it != annotations.end() && it->is_string()) ? it->get<std::string>() : "";
}

// Merge patch setting (value non-null) or removing (null) the lock, guarded by resourceVersion.
nlohmann::json LockPatch(const nlohmann::json& node, const nlohmann::json& value) {
  return {{"metadata",
           {{"resourceVersion", node["metadata"].value("resourceVersion", "")},
            {"annotations", {{codec::kNodeLockAnnotation, value}}}}}};
}

bool Conflict(const base::Status& s) {
  return s.code() == base::StatusCode::kAlreadyExists ||
         s.code() == base::StatusCode::kFailedPrecondition;
}

}  // namespace

Binder::Binder(k8s::KubeApi& api, SchedulerCache& cache, const vendor::Registry& registry,
               BindConfig config)
    : api_(api), cache_(cache), registry_(registry), config_(std::move(config)) {}

int64_t Binder::Now() const {
  if (config_.unix_now) return config_.unix_now();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

base::Status Binder::UpdateNodeLock(const std::string& node_name, std::string_view what,
                                    const LockDecision& decide) {
  base::Status last;
  for (int attempt = 0; attempt < config_.lock_attempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 << (attempt - 1)));
    HAMI_ASSIGN_OR_RETURN(nlohmann::json node, api_.Get(k8s::NodesPath(node_name)));
    HAMI_ASSIGN_OR_RETURN(std::optional<nlohmann::json> value,
                          decide(AnnotationOf(node, codec::kNodeLockAnnotation)));
    if (!value) return {};  // nothing to change
    auto patched =
        api_.Patch(k8s::NodesPath(node_name), k8s::PatchType::kMerge, LockPatch(node, *value));
    if (patched.ok()) return {};
    last = patched.error();
    if (!Conflict(last)) return last.WithContext(std::string(what) + " node " + node_name);
  }
  return last.WithContext(std::string(what) + " node " + node_name + " (retries exhausted)");
}

base::Status Binder::AcquireNodeLock(const std::string& node_name, const std::string& ns,
                                     const std::string& pod) {
  return UpdateNodeLock(
      node_name, "lock",
      [&](const std::string& current) -> base::Result<std::optional<nlohmann::json>> {
        if (!current.empty()) {
          if (codec::HeldBy(current, ns, pod)) return std::optional<nlohmann::json>();
          auto lock = codec::ParseNodeLock(current);
          bool stale = !lock.ok() || Now() - lock->unix_seconds >= config_.lock_timeout.count();
          if (!stale && !lock->legacy) {
            auto owner = api_.Get(k8s::PodsPath(lock->pod_namespace, lock->pod_name));
            stale = !owner.ok() && owner.error().code() == base::StatusCode::kNotFound;
          }
          if (!stale) {
            return base::Unavailable("node " + node_name + " has been locked within " +
                                     std::to_string(config_.lock_timeout.count()) + "s by " +
                                     current + ": node lock contention");
          }
        }
        return std::optional<nlohmann::json>(codec::FormatNodeLock(Now(), ns, pod));
      });
}

base::Status Binder::ReleaseNodeLock(const std::string& node_name, const std::string& ns,
                                     const std::string& pod) {
  return UpdateNodeLock(
      node_name, "unlock",
      [&](const std::string& current) -> base::Result<std::optional<nlohmann::json>> {
        if (current.empty() || !codec::HeldBy(current, ns, pod)) {
          return std::optional<nlohmann::json>();  // not ours to release
        }
        return std::optional<nlohmann::json>(nlohmann::json(nullptr));
      });
}

base::Status Binder::PatchPod(const BindArgs& args, const Assumption& assumption) {
  const std::string now = std::to_string(Now());
  nlohmann::json annotations = {{vendor::kVgpuNodeAnnotation, assumption.node},
                                {kVgpuTimeAnnotation, now},
                                {kBindPhaseAnnotation, kBindPhaseAllocating},
                                {kBindTimeAnnotation, now}};
  for (const auto& [vendor_name, devices] : assumption.devices) {
    const vendor::Vendor* vendor = registry_.Find(vendor_name);
    if (vendor == nullptr) return base::Internal("unknown vendor " + vendor_name);
    HAMI_ASSIGN_OR_RETURN(std::string encoded, codec::EncodePodSingleDevice(devices));
    annotations[vendor->Keys().to_allocate_annotation] = encoded;
    annotations[vendor->Keys().allocated_annotation] = encoded;
  }
  if (!assumption.mig.empty()) {
    HAMI_ASSIGN_OR_RETURN(std::string mig, codec::EncodeMigAllocations(assumption.mig));
    annotations[vendor::nvidia::kMigAllocationsAnnotation] = mig;
  }
  nlohmann::json patch = {{"metadata",
                           {{"annotations", annotations},
                            {"labels", {{vendor::kVgpuNodeAnnotation, assumption.node}}}}}};
  auto patched = api_.Patch(k8s::PodsPath(args.pod_namespace, args.pod_name),
                            k8s::PatchType::kMerge, patch);
  return patched.ok() ? base::Status() : patched.error();
}

base::Status Binder::Bind(const BindArgs& args) {
  const std::string key = args.pod_namespace + "/" + args.pod_name;
  std::optional<Assumption> assumption = cache_.Assumed(args.pod_uid);
  if (!assumption) {
    // Either the pod asks for no device (nothing to write) or its assumption expired.
    auto status = k8s::BindPod(api_, args.pod_namespace, args.pod_name, args.pod_uid, args.node);
    return status.ok() ? status : status.WithContext("bind " + key);
  }
  if (assumption->node != args.node) {
    cache_.Forget(args.pod_uid);
    return base::FailedPrecondition("bind " + key + ": filter chose node " + assumption->node +
                                    ", bind asked for " + args.node);
  }
  HAMI_RETURN_IF_ERROR(AcquireNodeLock(args.node, args.pod_namespace, args.pod_name));
  base::Status status = PatchPod(args, *assumption);
  if (status.ok()) {
    status = k8s::BindPod(api_, args.pod_namespace, args.pod_name, args.pod_uid, args.node);
  }
  if (!status.ok()) {
    (void)ReleaseNodeLock(args.node, args.pod_namespace, args.pod_name);
    cache_.Forget(args.pod_uid);
    return status.WithContext("bind " + key);
  }
  return {};
}

}  // namespace hami::extender
