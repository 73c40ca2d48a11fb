#include "deviceplugin/service.h"

#include <set>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "codec/json_util.h"
#include "codec/mig_allocations.h"
#include "codec/node_register.h"
#include "codec/topology_score.h"
#include "deviceplugin/host_files.h"
#include "deviceplugin/volcano.h"
#include "deviceplugin/volcano_wire.h"
#include "k8s/resource_path.h"
#include "model/device.h"
#include "vendor/nvidia/wire.h"

namespace hami::deviceplugin {

namespace nvidia = vendor::nvidia;
namespace {

using Json = nlohmann::json;

std::vector<std::string> ControlDeviceNodes() {
  std::vector<std::string> present;
  for (const char* path :
       {"/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset"}) {
    if (access(path, F_OK) == 0) present.emplace_back(path);
  }
  return present;
}

AllocatorConfig AllocatorConfigFor(const ServiceConfig& service, PodResourcesClient* kubelet,
                                   const PendingPods* pending, FinishWriter* finish,
                                   MigManager* mig) {
  AllocatorConfig config;
  config.node_name = service.plugin.node_name;
  config.env = service.env;
  config.mig = mig;
  config.finish = finish;
  config.keys = service.plugin.volcano ? VolcanoPodKeys() : HamiPodKeys();
  if (kubelet != nullptr) {
    config.kubelet_pods = [kubelet] { return kubelet->List(); };
    config.node_pods = [pending] { return pending->List(); };
  }
  return config;
}

// The watch cache of the pods bound to the node, for the lockless Allocate (null with the lock).
std::unique_ptr<k8s::Informer> NodePodsInformer(k8s::KubeApi& api, const ServiceConfig& config,
                                                PendingPods& pending) {
  if (config.pod_resources_socket.empty()) return nullptr;
  k8s::InformerOptions options;
  options.collection = k8s::PodsPath("");
  options.field_selector = "spec.nodeName=" + config.plugin.node_name;
  options.name = "device-plugin-node-pods";
  options.env = config.env;
  return std::make_unique<k8s::Informer>(&api, options, pending.Handlers());
}

// The lockless protocol's deferred last patch and its repair (null otherwise).
std::unique_ptr<FinishWriter> MakeFinishWriter(k8s::KubeApi& api, const ServiceConfig& config,
                                               const PendingPods& pending) {
  if (config.pod_resources_socket.empty() || config.plugin.volcano) return nullptr;
  FinishWriterConfig writer;
  writer.node_name = config.plugin.node_name;
  writer.candidates = [&pending] { return pending.List(); };
  writer.env = config.env;
  return std::make_unique<FinishWriter>(api, writer);
}

// The MIG bookings of the pods in `items` that still hold devices (not Succeeded/Failed). Any
// booking that cannot be read is an error: a view missing a pod's booking must not destroy it.
base::Result<std::vector<model::MigAllocation>> LiveMigBookings(const std::vector<Json>& items) {
  std::vector<model::MigAllocation> out;
  for (const auto& pod : items) {
    const Json status = pod.value("status", Json::object());
    const std::string phase = status.is_object() ? status.value("phase", "") : "";
    if (phase == "Succeeded" || phase == "Failed") continue;
    const Json meta = pod.value("metadata", Json::object());
    const Json annotations = meta.is_object() ? meta.value("annotations", Json::object()) : Json();
    if (!annotations.is_object()) continue;
    auto it = annotations.find(nvidia::kMigAllocationsAnnotation);
    if (it == annotations.end() || !it->is_string() || it->get<std::string>().empty()) continue;
    auto entries = codec::DecodeMigAllocations(it->get<std::string>());
    if (!entries.ok()) {
      return entries.error().WithContext("pod " + meta.value("namespace", "") + "/" +
                                         meta.value("name", ""));
    }
    out.insert(out.end(), entries->begin(), entries->end());
  }
  return out;
}

// migStrategy mixed: one nvidia.com/mig-<profile> resource's Allocate (allocate.h).
class StaticMigAllocator final : public AllocateHandler {
 public:
  explicit StaticMigAllocator(const DeviceStore& store) : store_(store) {}
  base::Result<std::vector<ContainerAllocation>> Allocate(
      const std::vector<std::vector<std::string>>& requests) override {
    std::set<std::string> known;
    for (const auto& device : store_.Devices()) known.insert(device.id);
    return PlanStaticMigAllocate(requests, known);
  }
  std::vector<std::vector<std::string>> Preferred(
      const std::vector<PreferredRequest>& requests,
      const std::map<std::string, std::string>& /*replica_to_uuid*/) override {
    return std::vector<std::vector<std::string>>(requests.size());
  }

 private:
  const DeviceStore& store_;
};

}  // namespace

struct DevicePluginService::StaticMigResource {
  StaticMigResource(const ServiceConfig& config, const std::string& resource)
      : allocator(store),
        server(
            store, allocator,
            PluginServerConfig{config.plugin_dir, EndpointFor(resource), resource,
                               /*preferred_allocation=*/false, config.plugin.enable_numa_topology,
                               config.retry_interval, config.env}) {}
  DeviceStore store;
  StaticMigAllocator allocator;
  PluginServer server;
  std::jthread serving;
};

std::map<std::string, std::vector<ReplicaDevice>> DevicePluginService::MigResourceDevices() const {
  std::lock_guard<std::mutex> lock(mig_resources_mu_);
  std::map<std::string, std::vector<ReplicaDevice>> out;
  for (const auto& [name, resource] : mig_resources_) out[name] = resource->store.Replicas();
  return out;
}

void DevicePluginService::ListMigDevices(std::vector<GpuInfo>& gpus) {
  for (GpuInfo& gpu : gpus) {
    if (!gpu.mig_enabled) continue;
    auto instances = source_->MigInstances(gpu);
    if (!instances.ok()) {
      base::LogWarn("list MIG devices",
                    {{"uuid", gpu.uuid}, {"error", instances.error().message()}});
      continue;
    }
    for (const MigInstance& instance : *instances) {
      if (instance.mig_uuid.empty()) continue;  // no compute instance: nothing to run on
      MigDeviceInfo mig{instance.mig_uuid, instance.profile, 0};
      for (const auto& p : gpu.mig_profiles) {
        if (p.name == instance.profile) mig.memory_mib = p.memory_mib;
      }
      gpu.mig_devices.push_back(std::move(mig));
    }
  }
}

void DevicePluginService::ServeMigResources(
    const std::map<std::string, std::vector<model::DeviceInfo>>& resources) {
  std::lock_guard<std::mutex> lock(mig_resources_mu_);
  for (const auto& [name, devices] : resources) {
    auto& slot = mig_resources_[name];
    if (slot) continue;
    slot = std::make_unique<StaticMigResource>(config_, name);
    StaticMigResource* resource = slot.get();
    resource->serving =
        std::jthread([resource](std::stop_token stop) { resource->server.Run(stop); });
    base::LogInfo("serving static MIG resource",
                  {{"resource", name}, {"socket", resource->server.socket_path()}});
  }
  static const std::vector<model::DeviceInfo> kNone;
  for (auto& [name, resource] : mig_resources_) {
    auto it = resources.find(name);
    for (const auto& change : resource->store.Update(it == resources.end() ? kNone : it->second)) {
      base::Log(change.healthy ? base::LogLevel::kInfo : base::LogLevel::kWarn,
                "MIG device health changed",
                {{"resource", name},
                 {"uuid", change.uuid},
                 {"healthy", change.healthy ? "true" : "false"}});
    }
  }
}

void DevicePluginService::StopMigResources() {
  std::lock_guard<std::mutex> lock(mig_resources_mu_);
  for (auto& [name, resource] : mig_resources_) {
    resource->store.Close();
    if (resource->serving.joinable()) {
      resource->serving.request_stop();
      resource->serving.join();
    }
    resource->server.Shutdown();
  }
}

std::vector<GpuInfo> DevicePluginService::LastGpus() const {
  std::lock_guard<std::mutex> lock(gpus_mu_);
  return gpus_;
}

std::unique_ptr<MigManager> DevicePluginService::MakeMigManager() {
  if (config_.plugin.operating_mode != model::kModeMig || !source_) return nullptr;
  MigManagerConfig mig;
  mig.gpus = [this] { return LastGpus(); };
  mig.live_bookings = [this]() -> base::Result<std::vector<model::MigAllocation>> {
    k8s::ListOptions options;
    options.field_selector = "spec.nodeName=" + config_.plugin.node_name;
    HAMI_ASSIGN_OR_RETURN(auto pods, k8s::ListAll(api_, k8s::PodsPath(""), options));
    return LiveMigBookings(pods.items);
  };
  if (node_pods_) {
    mig.cached_bookings = [this]() -> std::optional<std::vector<model::MigAllocation>> {
      if (!node_pods_->HasSynced()) return std::nullopt;
      auto live = LiveMigBookings(node_pods_->List());
      if (!live.ok()) return std::nullopt;
      return std::move(live).value();
    };
  }
  return std::make_unique<MigManager>(*source_, std::move(mig));
}

DevicePluginService::DevicePluginService(k8s::KubeApi& api, std::unique_ptr<DeviceSource> source,
                                         ServiceConfig config)
    : api_(api),
      source_(std::move(source)),
      config_(std::move(config)),
      pod_resources_(config_.pod_resources_socket.empty()
                         ? nullptr
                         : std::make_unique<PodResourcesClient>(config_.pod_resources_socket)),
      node_pods_(NodePodsInformer(api, config_, pending_pods_)),
      finish_(MakeFinishWriter(api, config_, pending_pods_)),
      locker_(api, k8s::NodeLockConfig{.env = config_.env}),
      mig_(MakeMigManager()),
      allocator_(api, locker_,
                 AllocatorConfigFor(config_, pod_resources_.get(), &pending_pods_, finish_.get(),
                                    mig_.get())),
      server_(store_, allocator_,
              PluginServerConfig{config_.plugin_dir, kDefaultEndpoint, config_.plugin.resource_name,
                                 config_.plugin.enable_preferred_allocation,
                                 config_.plugin.enable_numa_topology, config_.retry_interval,
                                 config_.env}) {}

DevicePluginService::~DevicePluginService() { Stop(); }

AllocateSettings DevicePluginService::SettingsFor(const std::vector<GpuInfo>& gpus) const {
  AllocateSettings settings;
  settings.host_vgpu_dir = config_.host_vgpu_dir;
  settings.host_lock_dir = config_.lock_dir;
  settings.lib_cuda_log_level = config_.plugin.lib_cuda_log_level;
  settings.memory_scaling = config_.plugin.memory_scaling;
  settings.disable_core_limit = config_.plugin.disable_core_limit;
  settings.device_id_strategy = config_.plugin.device_id_strategy;
  settings.pass_device_specs = config_.plugin.pass_device_specs;
  if (config_.plugin.operating_mode == model::kModeMps) settings.mps_root = config_.plugin.mps_root;
  settings.mig = config_.plugin.operating_mode == model::kModeMig;
  for (const auto& gpu : gpus) {
    settings.uuid_to_index[gpu.uuid] = gpu.index;
    if (gpu.minor)
      settings.uuid_to_device_node[gpu.uuid] = "/dev/nvidia" + std::to_string(*gpu.minor);
  }
  if (settings.pass_device_specs) settings.control_device_nodes = ControlDeviceNodes();
  return settings;
}

base::Status DevicePluginService::PublishAnnotations(const Json& annotations, bool force_check) {
  const std::string text = codec::DumpJson(annotations);
  if (text == last_published_ && !force_check) return {};
  const bool for_volcano = config_.plugin.volcano;
  if (text == last_published_) {
    HAMI_ASSIGN_OR_RETURN(Json node, api_.Get(k8s::NodesPath(config_.plugin.node_name)));
    const Json current = node["metadata"].value("annotations", Json::object());
    bool same = true;
    for (const auto& [key, value] : annotations.items()) {
      same = same && current.contains(key) && current[key] == value;
    }
    // Volcano's scheduler answers each report with "Requesting_<time>": report again.
    if (for_volcano) {
      const Json handshake = current.value(volcano::kHandshakeAnnotation, Json());
      same = same && handshake.is_string() &&
             handshake.get<std::string>().starts_with(volcano::kHandshakeReported);
    }
    if (same) return {};
  }
  Json patch = annotations;
  if (for_volcano) {
    patch[volcano::kHandshakeAnnotation] = VolcanoHandshakeReported(config_.env->UnixSeconds());
  }
  auto patched = k8s::PatchAnnotations(api_, k8s::NodesPath(config_.plugin.node_name), patch);
  if (!patched.ok()) return patched.error().WithContext("patch node " + config_.plugin.node_name);
  last_published_ = text;
  const char* key = for_volcano ? volcano::kRegisterAnnotation : nvidia::kRegisterAnnotation;
  base::LogInfo("node registered", {{"node", config_.plugin.node_name}, {key, annotations[key]}});
  return {};
}

base::Status DevicePluginService::DiscoverOnce(bool force_check) {
  std::lock_guard<std::mutex> discovering(discover_mu_);
  std::vector<GpuInfo> gpus;
  const std::string strategy = EffectiveMigStrategy(config_.plugin);
  if (source_) {
    auto discovered = source_->Discover();
    if (!discovered.ok()) {
      base::LogError("GPU discovery", {{"error", discovered.error().message()}});
      return {};
    }
    gpus = std::move(discovered).value();
    for (const auto& uuid : xid_marks_.Apply(gpus)) {
      base::LogInfo("GPU recovered after a critical XID", {{"uuid", uuid}});
    }
    if (strategy != "none") ListMigDevices(gpus);
  }
  if (strategy == "single") HAMI_RETURN_IF_ERROR(CheckSingleMigStrategy(gpus, config_.plugin));
  {
    std::lock_guard<std::mutex> lock(gpus_mu_);
    gpus_ = gpus;
  }
  Inventory inventory = BuildInventory(gpus, config_.plugin);
  if (strategy == "mixed") ServeMigResources(inventory.mig_resources);
  for (const auto& change : store_.Update(inventory.devices)) {
    base::Log(change.healthy ? base::LogLevel::kInfo : base::LogLevel::kWarn, "GPU health changed",
              {{"uuid", change.uuid}, {"healthy", change.healthy ? "true" : "false"}});
  }
  allocator_.UpdateSettings(SettingsFor(gpus));
  Json annotations =
      config_.plugin.volcano
          ? VolcanoNodeAnnotations(inventory.devices)
          : Json{{nvidia::kRegisterAnnotation, codec::EncodeNodeDevicesJson(inventory.devices)}};
  if (config_.plugin.enable_topology_score && !config_.plugin.volcano) {
    std::vector<std::string> uuids;
    std::map<std::string, int32_t> numa;
    for (const auto& device : inventory.devices) {
      uuids.push_back(device.id);
      numa[device.id] = device.numa;
    }
    auto links =
        source_ ? source_->Links(gpus) : std::map<std::pair<std::string, std::string>, PairLink>{};
    annotations[nvidia::kScoreAnnotation] =
        codec::EncodeTopologyScores(TopologyScoresFor(uuids, numa, links));
  }
  if (auto status = PublishAnnotations(annotations, force_check); !status.ok()) {
    base::LogError("node registration", {{"error", status.message()}});
  }
  return {};
}

void DevicePluginService::CleanupOnce() {
  k8s::ListOptions options;
  options.field_selector = "spec.nodeName=" + config_.plugin.node_name;
  auto pods = k8s::ListAll(api_, k8s::PodsPath(""), options);
  if (!pods.ok()) {
    base::LogWarn("list pods for cleanup", {{"error", pods.error().message()}});
    return;  // never delete on an incomplete view
  }
  std::set<std::string> live;
  for (const auto& pod : pods->items) {
    live.insert(pod["metadata"].value("uid", ""));
  }
  auto removed = RemoveStaleContainerDirs(config_.host_vgpu_dir, live);
  if (!removed.ok()) {
    base::LogWarn("cleanup", {{"error", removed.error().message()}});
    return;
  }
  for (const auto& name : *removed) base::LogInfo("removed container directory", {{"dir", name}});
}

void DevicePluginService::DiscoveryLoop(std::stop_token stop) {
  while (config_.env->SleepFor(config_.health_interval, stop)) {
    const auto now = config_.env->SteadyNow();
    bool periodic = now - last_check_ >= config_.register_interval;
    if (periodic) last_check_ = now;
    if (auto status = DiscoverOnce(periodic); !status.ok()) {
      base::LogError("GPU discovery; registration unchanged", {{"error", status.message()}});
    }
    if (mig_) mig_->Reconcile();
    if (now - last_cleanup_ >= config_.register_interval) {
      last_cleanup_ = now;
      CleanupOnce();
    }
  }
}

void DevicePluginService::StartXidWatch() {
  if (!source_) return;
  if (!config_.xid_policy.enabled) {
    base::LogInfo("XID health checks disabled", {{"env", kDisableHealthchecksEnv}});
    return;
  }
  std::vector<std::string> uuids;
  for (const auto& gpu : LastGpus()) uuids.push_back(gpu.uuid);
  base::Status status = source_->WatchXids(uuids);
  if (status.code() == base::StatusCode::kUnimplemented) {
    base::LogWarn("no XID events; GPU health by polling only", {{"reason", status.message()}});
    return;
  }
  if (!status.ok()) base::LogWarn("XID events", {{"error", status.message()}});
  xid_watch_ = std::jthread([this](std::stop_token stop) { XidLoop(stop); });
}

void DevicePluginService::XidLoop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    auto event = source_->NextXid(config_.xid_wait);
    if (!event.ok()) {
      base::LogWarn("waiting for XID events", {{"error", event.error().message()}});
      config_.env->SleepFor(config_.health_interval, stop);
      continue;
    }
    if (!event->has_value()) continue;
    const XidEvent& xid = **event;
    const std::string code = std::to_string(xid.xid);
    if (!IsCriticalXid(config_.xid_policy, xid.xid)) {
      base::LogInfo("XID ignored (application error or disabled)",
                    {{"uuid", xid.uuid}, {"xid", code}});
      continue;
    }
    std::vector<std::string> uuids;
    if (xid.uuid.empty()) {  // the driver named no GPU we know: all of them, as upstream
      for (const auto& gpu : LastGpus()) uuids.push_back(gpu.uuid);
    } else {
      uuids.push_back(xid.uuid);
    }
    for (const auto& uuid : uuids) {
      xid_marks_.Mark(uuid, xid.xid);
      base::LogWarn("critical XID; GPU unhealthy", {{"uuid", uuid}, {"xid", code}});
    }
    if (auto status = DiscoverOnce(false); !status.ok()) {
      base::LogError("GPU discovery after an XID", {{"error", status.message()}});
    }
  }
}

base::Status DevicePluginService::Start() {
  HAMI_RETURN_IF_ERROR(EnsureHostLayout(config_.host_vgpu_dir, config_.lock_dir));
  if (access((config_.host_vgpu_dir + "/libvgpu.so").c_str(), R_OK) != 0) {
    base::LogWarn("libvgpu.so not installed; containers will fail to mount it",
                  {{"path", config_.host_vgpu_dir + "/libvgpu.so"}});
  }
  last_check_ = last_cleanup_ = config_.env->SteadyNow();
  if (config_.plugin.operating_mode == model::kModeMig && config_.plugin.mig_strategy != "none") {
    base::LogWarn("migStrategy ignored in operating mode mig (dynamic MIG creates the instances)",
                  {{"migStrategy", config_.plugin.mig_strategy}});
  }
  HAMI_RETURN_IF_ERROR(DiscoverOnce(/*force_check=*/true));
  if (node_pods_) node_pods_->Start();
  if (finish_) finish_->Start();
  discovery_ = std::jthread([this](std::stop_token stop) { DiscoveryLoop(stop); });
  StartXidWatch();
  serving_ = std::jthread([this](std::stop_token stop) { server_.Run(stop); });
  return {};
}

void DevicePluginService::Stop() {
  store_.Close();
  if (xid_watch_.joinable()) {
    xid_watch_.request_stop();
    xid_watch_.join();
  }
  if (serving_.joinable()) {
    serving_.request_stop();
    serving_.join();
  }
  if (discovery_.joinable()) {
    discovery_.request_stop();
    discovery_.join();
  }
  StopMigResources();  // after discovery: it creates them
  server_.Shutdown();
  if (finish_) finish_->Stop();  // after the server: no Allocate pushes any more
  if (node_pods_) node_pods_->Stop();
}

}  // namespace hami::deviceplugin
