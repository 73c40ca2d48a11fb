#include "monitor/pod_source.h"

#include <algorithm>
#include <climits>
#include <map>

#include "base/strings.h"
#include "codec/mig_allocations.h"
#include "codec/pod_devices.h"
#include "model/protocol.h"
#include "vendor/nvidia/wire.h"

namespace hami::monitor {

namespace nvidia = vendor::nvidia;
namespace {

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// CUDA_TASK_PRIORITY of container `c` as admitted: a literal integer value; libvgpu's default 1
// otherwise (absent, valueFrom, or not an integer: libvgpu then uses 1 too).
int32_t AdmittedPriority(const nlohmann::json& c) {
  int32_t priority = 1;
  auto env = c.find("env");
  if (env == c.end() || !env->is_array()) return priority;
  for (const auto& e : *env) {
    if (!e.is_object() || Str(e, "name") != nvidia::kTaskPriorityEnv) continue;
    auto value = base::ParseInt64(Str(e, "value"));
    const bool literal = e.contains("value") && !e.contains("valueFrom");
    priority = literal && value && *value >= INT32_MIN && *value <= INT32_MAX
                   ? static_cast<int32_t>(*value)
                   : 1;
  }
  return priority;
}

// The NVIDIA grants of each container (hami.io/vgpu-devices-allocated, entries in the order of
// p.containers) with their realized MIG instances. Sets p.grant_error when an annotation does not
// decode.
void AddGrants(const nlohmann::json& annotations, const std::vector<const nlohmann::json*>& specs,
               PodRef& p) {
  auto devices = codec::DecodePodSingleDevice(Str(annotations, nvidia::kAllocatedAnnotation));
  if (!devices.ok()) {
    p.grant_error = std::string(nvidia::kAllocatedAnnotation) + ": " + devices.error().message();
    return;
  }
  for (size_t i = 0; i < devices->size() && i < p.containers.size(); ++i) {
    ContainerGrant g;
    for (const model::ContainerDevice& d : (*devices)[i]) {
      if (d.type != nvidia::kVendorName) continue;
      g.uuids.push_back(d.uuid);
      g.memory_limits.push_back(static_cast<uint64_t>(std::max<int64_t>(d.usedmem, 0)) << 20);
      g.sm_limits.push_back(static_cast<uint64_t>(std::max<int64_t>(d.usedcores, 0)));
    }
    if (g.uuids.empty()) continue;
    g.priority = AdmittedPriority(*specs[i]);
    p.grants[p.containers[i]] = std::move(g);
  }
  if (p.mig_allocations.empty()) return;
  auto migs = codec::DecodeMigAllocations(p.mig_allocations);
  if (!migs.ok()) {
    p.grant_error = std::string(nvidia::kMigAllocationsAnnotation) + ": " + migs.error().message();
    return;
  }
  for (const model::MigAllocation& m : *migs) {
    if (m.mig_uuid.empty() || m.container_index < 0 ||
        m.container_index >= static_cast<int>(p.containers.size())) {
      continue;
    }
    auto it = p.grants.find(p.containers[m.container_index]);
    if (it != p.grants.end()) it->second.mig_uuids.push_back(m.mig_uuid);
  }
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
  const bool annotated = meta.contains("annotations") && meta["annotations"].is_object();
  const auto& annotations = annotated ? meta["annotations"] : empty;
  p.mig_allocations = Str(annotations, nvidia::kMigAllocationsAnnotation);
  const auto& spec = pod.contains("spec") ? pod["spec"] : empty;
  p.scheduler_name = Str(spec, "schedulerName");
  std::vector<const nlohmann::json*> specs;
  for (const char* list : {"initContainers", "containers"}) {
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (const auto& c : spec[list]) {
      if (!c.is_object()) continue;
      p.containers.push_back(Str(c, "name"));
      specs.push_back(&c);
    }
  }
  AddGrants(annotations, specs, p);
  return p;
}

PodSource::PodSource(k8s::KubeApi* api, const std::string& node, base::Env* env)
    : api_(api), node_(node) {
  k8s::InformerOptions label;
  label.collection = k8s::PodsPath("");
  label.label_selector = std::string(model::kVgpuNodeAnnotation) + "=" + node;
  label.name = "monitor-pods-by-label";
  label.env = env;
  by_label_ = std::make_unique<k8s::Informer>(api, label, k8s::InformerHandlers{});
  k8s::InformerOptions field;
  field.collection = k8s::PodsPath("");
  field.field_selector = "spec.nodeName=" + node;
  field.name = "monitor-pods-by-node";
  field.env = env;
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
