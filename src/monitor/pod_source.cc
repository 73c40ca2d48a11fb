#include "monitor/pod_source.h"

#include <map>

#include "codec/mig_allocations.h"
#include "model/protocol.h"
#include "vendor/nvidia/wire.h"

namespace hami::monitor {

namespace nvidia = vendor::nvidia;
namespace {

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

PodRef PodRefFromJson(const nlohmann::json& pod) {
  PodRef p;
  const nlohmann::json empty = nlohmann::json::object();
  const auto& meta = pod.contains("metadata") ? pod["metadata"] : empty;
  p.uid = Str(meta, "uid");
  p.namespace_name = Str(meta, "namespace");
  if (p.namespace_name.empty()) p.namespace_name = "default";
  p.name = Str(meta, "name");
  if (meta.contains("annotations") && meta["annotations"].is_object()) {
    p.mig_allocations = Str(meta["annotations"], nvidia::kMigAllocationsAnnotation);
  }
  const auto& spec = pod.contains("spec") ? pod["spec"] : empty;
  for (const char* list : {"initContainers", "containers"}) {
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (const auto& c : spec[list]) {
      if (c.is_object()) p.containers.push_back(Str(c, "name"));
    }
  }
  return p;
}

PodSource::PodSource(k8s::KubeApi* api, const std::string& node) : api_(api), node_(node) {
  k8s::InformerOptions label;
  label.collection = k8s::PodsPath("");
  label.label_selector = std::string(model::kVgpuNodeAnnotation) + "=" + node;
  label.name = "monitor-pods-by-label";
  by_label_ = std::make_unique<k8s::Informer>(api, label, k8s::InformerHandlers{});
  k8s::InformerOptions field;
  field.collection = k8s::PodsPath("");
  field.field_selector = "spec.nodeName=" + node;
  field.name = "monitor-pods-by-node";
  by_node_ = std::make_unique<k8s::Informer>(api, field, k8s::InformerHandlers{});
}

PodSource::~PodSource() { Stop(); }

void PodSource::Start() {
  by_label_->Start();
  by_node_->Start();
}

void PodSource::Stop() {
  by_label_->Stop();
  by_node_->Stop();
}

bool PodSource::Synced() const { return by_label_->HasSynced() && by_node_->HasSynced(); }

std::optional<std::vector<PodRef>> PodSource::Pods() const {
  if (!Synced()) return std::nullopt;
  std::map<std::string, PodRef> by_uid;
  for (const auto* informer : {by_label_.get(), by_node_.get()}) {
    for (const nlohmann::json& pod : informer->List()) {
      PodRef ref = PodRefFromJson(pod);
      if (!ref.uid.empty()) by_uid.emplace(ref.uid, std::move(ref));
    }
  }
  std::vector<PodRef> out;
  out.reserve(by_uid.size());
  for (auto& [uid, ref] : by_uid) out.push_back(std::move(ref));
  return out;
}

PodPresence PodSource::Presence() const {
  PodPresence p;
  auto pods = Pods();
  if (!pods) return p;
  p.synced = true;
  for (const PodRef& ref : *pods) p.uids.insert(ref.uid);
  return p;
}

}  // namespace hami::monitor

namespace hami::monitor {

base::Result<std::set<std::string>> PodSource::FreshUids() const {
  std::set<std::string> uids;
  k8s::ListOptions by_label;
  by_label.label_selector = std::string(model::kVgpuNodeAnnotation) + "=" + node_;
  k8s::ListOptions by_node;
  by_node.field_selector = "spec.nodeName=" + node_;
  for (const k8s::ListOptions& options : {by_label, by_node}) {
    HAMI_ASSIGN_OR_RETURN(k8s::ListPage page, k8s::ListAll(*api_, k8s::PodsPath(""), options));
    for (const nlohmann::json& pod : page.items) uids.insert(PodRefFromJson(pod).uid);
  }
  return uids;
}

}  // namespace hami::monitor
