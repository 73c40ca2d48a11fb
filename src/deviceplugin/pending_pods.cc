#include "deviceplugin/pending_pods.h"

#include "model/protocol.h"

namespace hami::deviceplugin {
namespace {

using Json = nlohmann::json;

std::string UidOf(const Json& pod) {
  const Json* meta = pod.is_object() && pod.contains("metadata") ? &pod["metadata"] : nullptr;
  if (meta == nullptr || !meta->is_object()) return "";
  auto uid = meta->find("uid");
  return uid != meta->end() && uid->is_string() ? uid->get<std::string>() : "";
}

}  // namespace

bool KeptAsPending(const Json& pod) {
  if (!pod.is_object()) return false;
  const Json& status = pod.contains("status") ? pod["status"] : Json::object();
  if (status.is_object() && status.value("phase", "") == "Pending") return true;
  const Json& meta = pod.contains("metadata") ? pod["metadata"] : Json::object();
  if (!meta.is_object() || !meta.contains("annotations")) return false;
  const Json& annotations = meta["annotations"];
  if (!annotations.is_object()) return false;
  auto phase = annotations.find(model::kBindPhaseAnnotation);
  return phase != annotations.end() && *phase == model::kBindPhaseAllocating;
}

k8s::InformerHandlers PendingPods::Handlers() {
  k8s::InformerHandlers handlers;
  handlers.on_add = [this](const Json& pod) { Put(pod); };
  handlers.on_update = [this](const Json&, const Json& pod) { Put(pod); };
  handlers.on_delete = [this](const Json& pod) { Drop(pod); };
  handlers.on_resync = [this](const std::vector<Json>& pods) { Replace(pods); };
  return handlers;
}

std::optional<std::vector<Json>> PendingPods::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!synced_) return std::nullopt;
  std::vector<Json> out;
  out.reserve(pods_.size());
  for (const auto& [uid, pod] : pods_) out.push_back(pod);
  return out;
}

void PendingPods::Put(const Json& pod) {
  const std::string uid = UidOf(pod);
  if (uid.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (KeptAsPending(pod)) {
    pods_[uid] = pod;
  } else {
    pods_.erase(uid);
  }
}

void PendingPods::Drop(const Json& pod) {
  std::lock_guard<std::mutex> lock(mu_);
  pods_.erase(UidOf(pod));
}

void PendingPods::Replace(const std::vector<Json>& pods) {
  std::map<std::string, Json> kept;
  for (const auto& pod : pods) {
    const std::string uid = UidOf(pod);
    if (!uid.empty() && KeptAsPending(pod)) kept[uid] = pod;
  }
  std::lock_guard<std::mutex> lock(mu_);
  pods_ = std::move(kept);
  synced_ = true;
}

}  // namespace hami::deviceplugin
