#include "k8s/node_lock.h"

#include "codec/node_lock.h"
#include "codec/time_format.h"
#include "model/protocol.h"

namespace hami::k8s {
namespace {

std::string AnnotationOf(const nlohmann::json& object, const std::string& key) {
  const auto& meta = object.value("metadata", nlohmann::json::object());
  const auto& annotations = meta.value("annotations", nlohmann::json::object());
  auto it = annotations.find(key);
  return (it != annotations.end() && it->is_string()) ? it->get<std::string>() : "";
}

// Merge patch setting (value non-null) or removing (null) the lock, guarded by resourceVersion.
nlohmann::json LockPatch(const std::string& key, const std::string& resource_version,
                         const nlohmann::json& value) {
  return {{"metadata", {{"resourceVersion", resource_version}, {"annotations", {{key, value}}}}}};
}

std::string ResourceVersionOf(const nlohmann::json& object) {
  return object.value("metadata", nlohmann::json::object()).value("resourceVersion", "");
}

bool Conflict(const base::Status& s) {
  return s.code() == base::StatusCode::kAlreadyExists ||
         s.code() == base::StatusCode::kFailedPrecondition;
}

}  // namespace

NodeLocker::NodeLocker(KubeApi& api, NodeLockConfig config)
    : api_(api), config_(std::move(config)) {}

int64_t NodeLocker::Now() const { return config_.env->UnixSeconds(); }

NodeLocker::NodeSlot& NodeLocker::SlotFor(const std::string& node_name) {
  std::lock_guard<std::mutex> lock(slots_mu_);
  auto& slot = slots_[node_name];
  if (!slot) slot = std::make_unique<NodeSlot>();
  return *slot;
}

base::Status NodeLocker::Update(const std::string& node_name, std::string_view what,
                                const LockDecision& decide) {
  NodeSlot& slot = SlotFor(node_name);
  std::lock_guard<std::mutex> serialized(slot.mu);
  base::Status last;
  int sleeps = 0;
  bool backoff = false;  // the last conflict followed a fresh read: someone else is writing
  for (int attempt = 0; attempt < config_.lock_attempts; ++attempt) {
    if (backoff) config_.env->SleepFor(std::chrono::milliseconds(100 << sleeps++));
    const bool from_memory = slot.known;
    if (!from_memory) {
      HAMI_ASSIGN_OR_RETURN(nlohmann::json node, api_.Get(NodesPath(node_name)));
      slot.resource_version = ResourceVersionOf(node);
      slot.lock = AnnotationOf(node, config_.annotation);
      slot.known = true;
    }
    base::Result<std::optional<nlohmann::json>> decided = decide(slot.lock);
    if (from_memory && (!decided.ok() || !*decided)) {
      // Only a write is guarded by resourceVersion: refusing or skipping needs a fresh read.
      slot.known = false;
      --attempt;
      continue;
    }
    HAMI_ASSIGN_OR_RETURN(std::optional<nlohmann::json> value, std::move(decided));
    if (!value) return {};  // nothing to change
    auto patched = api_.Patch(NodesPath(node_name), PatchType::kMerge,
                              LockPatch(config_.annotation, slot.resource_version, *value));
    if (patched.ok()) {
      slot.resource_version = ResourceVersionOf(*patched);
      slot.lock = value->is_string() ? value->get<std::string>() : "";
      slot.known = !slot.resource_version.empty();
      return {};
    }
    slot.known = false;
    last = patched.error();
    if (!Conflict(last)) return last.WithContext(std::string(what) + " node " + node_name);
    backoff = !from_memory;
    if (from_memory) --attempt;  // a stale memory is not contention: re-read at once, for free
  }
  return last.WithContext(std::string(what) + " node " + node_name + " (retries exhausted)");
}

base::Status NodeLocker::Acquire(const std::string& node_name, const std::string& ns,
                                 const std::string& pod) {
  return Update(node_name, "lock",
                [&](const std::string& current) -> base::Result<std::optional<nlohmann::json>> {
                  if (!current.empty()) {
                    // An ownerless lock names nobody, so it is never "ours already".
                    if (config_.owner_in_value && codec::HeldBy(current, ns, pod)) {
                      return std::optional<nlohmann::json>();
                    }
                    auto lock = codec::ParseNodeLock(current);
                    bool stale =
                        !lock.ok() || Now() - lock->unix_seconds >= config_.lock_timeout.count();
                    if (!stale && !lock->legacy) {
                      auto owner = api_.Get(PodsPath(lock->pod_namespace, lock->pod_name));
                      stale = !owner.ok() && owner.error().code() == base::StatusCode::kNotFound;
                    }
                    if (!stale) {
                      return base::Unavailable("node " + node_name + " has been locked within " +
                                               std::to_string(config_.lock_timeout.count()) +
                                               "s by " + current + ": node lock contention");
                    }
                  }
                  return std::optional<nlohmann::json>(config_.owner_in_value
                                                           ? codec::FormatNodeLock(Now(), ns, pod)
                                                           : codec::FormatRfc3339(Now()));
                });
}

base::Status NodeLocker::Release(const std::string& node_name, const std::string& ns,
                                 const std::string& pod) {
  return Update(node_name, "unlock",
                [&](const std::string& current) -> base::Result<std::optional<nlohmann::json>> {
                  if (current.empty() || !codec::HeldBy(current, ns, pod)) {
                    return std::optional<nlohmann::json>();  // not ours to release
                  }
                  return std::optional<nlohmann::json>(nlohmann::json(nullptr));
                });
}

}  // namespace hami::k8s
