// DevicePluginService: the node agent's wiring. Owns the device store, the allocator and the
// gRPC plugin server, and runs two loops:
//   * discovery (every `health_interval`): NVML -> inventory -> DeviceStore (health changes reach
//     ListAndWatch) -> node annotations hami.io/node-nvidia-register (+ hami.io/node-nvidia-score
//     with topology scoring), merge-patched when they differ from what the node carries (checked
//     against the API server every `register_interval`, immediately on a change);
//   * XID events (where the source has them and xid_policy is enabled): a thread waits up to
//     `xid_wait` at a time for the next XID; a critical one (xid_health.h) marks its GPU, and a
//     discovery runs at once, so the kubelet and the register annotation see it Unhealthy
//     without waiting for the next poll; Stop ends it within `xid_wait`;
//   * cleanup (every `register_interval`): host directories of pods no longer on the node;
//     in mode "mig" also (every `health_interval`) the MIG instances of pods gone (MigManager).
// Static MIG strategies (EffectiveMigStrategy): each discovery also lists the MIG devices of the
// MIG-enabled GPUs. "single" registers them under nvidia.com/gpu (inventory.h) and refuses to
// start while they are of several profiles; "mixed" serves each profile present as its own
// resource nvidia.com/mig-<profile>: a device store, a StaticMigAllocator and a plugin server on
// socket nvidia-mig-<profile>.sock each, created when the profile first appears (at start or
// later) and kept until Stop (a profile whose devices are gone advertises them Unhealthy).
// Thread-safe: Start/Stop from the main thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/env.h"
#include "base/status.h"
#include "deviceplugin/allocator.h"
#include "deviceplugin/device_store.h"
#include "deviceplugin/finish_writer.h"
#include "deviceplugin/mig_manager.h"
#include "deviceplugin/nvml_device_source.h"
#include "deviceplugin/pending_pods.h"
#include "deviceplugin/plugin_config.h"
#include "deviceplugin/plugin_server.h"
#include "deviceplugin/pod_resources_client.h"
#include "deviceplugin/xid_health.h"
#include "k8s/informer.h"
#include "k8s/kube_api.h"
#include "k8s/node_lock.h"

namespace hami::deviceplugin {

struct ServiceConfig {
  PluginConfig plugin;
  std::string plugin_dir = "/var/lib/kubelet/device-plugins";
  std::string host_vgpu_dir = "/usr/local/vgpu";  // <hook-path>/vgpu
  std::string lock_dir = "/tmp/vgpulock";
  std::chrono::milliseconds register_interval{30000};
  std::chrono::milliseconds health_interval{5000};
  std::chrono::milliseconds retry_interval{5000};
  // Empty: upstream's protocol (the node lock's owner is the pod an Allocate is for). Else the
  // kubelet's pod-resources socket: Allocate finds the pod being admitted without a node lock
  // (allocator.h), for a scheduler run with --nvidia-node-lock=false.
  std::string pod_resources_socket;
  // XID health (DP_DISABLE_HEALTHCHECKS) and how long one wait for an event lasts.
  XidPolicy xid_policy;
  std::chrono::milliseconds xid_wait{1000};
  // Clocks and sleeps of the loops, the node lock and the plugin server's registration retries.
  base::Env* env = base::Env::Default();
};

class DevicePluginService {
 public:
  // `source` may be null: a node without a usable driver advertises no GPU.
  DevicePluginService(k8s::KubeApi& api, std::unique_ptr<DeviceSource> source,
                      ServiceConfig config);
  ~DevicePluginService();

  // Prepares the host layout, runs one discovery, starts the loops and the plugin server.
  base::Status Start();
  void Stop();

  const DeviceStore& store() const { return store_; }
  // GPUs a critical XID has marked unhealthy, with the XID.
  std::map<std::string, uint64_t> XidMarked() const { return xid_marks_.Marked(); }
  // migStrategy mixed: the kubelet devices of each nvidia.com/mig-<profile> resource served.
  std::map<std::string, std::vector<ReplicaDevice>> MigResourceDevices() const;

 private:
  void DiscoveryLoop(std::stop_token stop);
  // Registers the discovered GPUs for XID events and starts XidLoop (when the source has events).
  void StartXidWatch();
  void XidLoop(std::stop_token stop);
  // Errors only for what must stop the plugin at start (migStrategy single with several
  // profiles); other failures are logged.
  base::Status DiscoverOnce(bool force_check);
  // The MIG devices of each MIG-enabled GPU into GpuInfo::mig_devices (static strategies).
  void ListMigDevices(std::vector<GpuInfo>& gpus);
  // migStrategy mixed: updates (creating on first sight) the server of every resource.
  void ServeMigResources(const std::map<std::string, std::vector<model::DeviceInfo>>& resources);
  void StopMigResources();
  base::Status PublishAnnotations(const nlohmann::json& annotations, bool force_check);
  void CleanupOnce();
  AllocateSettings SettingsFor(const std::vector<GpuInfo>& gpus) const;
  std::vector<GpuInfo> LastGpus() const;
  std::unique_ptr<MigManager> MakeMigManager();

  k8s::KubeApi& api_;
  std::unique_ptr<DeviceSource> source_;
  ServiceConfig config_;
  std::unique_ptr<PodResourcesClient> pod_resources_;  // null in the node-lock protocol
  PendingPods pending_pods_;                           // fed by node_pods_
  std::unique_ptr<k8s::Informer> node_pods_;           // null in the node-lock protocol
  std::unique_ptr<FinishWriter> finish_;  // null in the node-lock protocol and Volcano's mode
  DeviceStore store_;
  k8s::NodeLocker locker_;
  mutable std::mutex gpus_mu_;
  std::vector<GpuInfo> gpus_;        // the last discovery (guarded by gpus_mu_)
  std::unique_ptr<MigManager> mig_;  // mode "mig" with a device source; else null
  struct StaticMigResource;          // service.cc
  mutable std::mutex mig_resources_mu_;
  // migStrategy mixed: by resource name (guarded by mig_resources_mu_).
  std::map<std::string, std::unique_ptr<StaticMigResource>> mig_resources_;
  Allocator allocator_;
  PluginServer server_;
  XidMarks xid_marks_;
  std::mutex discover_mu_;      // one DiscoverOnce at a time (discovery and XID threads)
  std::string last_published_;  // the annotations JSON last patched (under discover_mu_)
  std::chrono::steady_clock::time_point last_check_{};
  std::chrono::steady_clock::time_point last_cleanup_{};
  std::jthread discovery_;
  std::jthread serving_;
  std::jthread xid_watch_;
};

}  // namespace hami::deviceplugin
