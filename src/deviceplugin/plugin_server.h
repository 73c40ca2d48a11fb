// PluginServer: the kubelet device plugin API v1beta1 over gRPC on a unix socket.
//
// Serves DevicePlugin on <plugin_dir>/<endpoint> (socket mode 0600: only root, i.e. the kubelet,
// may connect) and registers it with the kubelet's Registration service on
// <plugin_dir>/kubelet.sock. Run() keeps it registered: when kubelet.sock is created again (a
// kubelet restart; watched with inotify) or our socket disappears (the kubelet wipes the
// directory when it starts), the server is restarted and registers again; a failed registration
// is retried every `retry_interval`. Stop() ends the streams, removes the socket.
//
// ListAndWatch sends every replica of DeviceStore with its health (NUMA topology when enabled)
// and a new full list whenever the store's version changes. Allocate / GetPreferredAllocation
// go to the AllocateHandler (the Allocator for nvidia.com/gpu); PreStartContainer does nothing.
// Thread-safe: Run() on one thread, Stop() from any other.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>

#include "base/env.h"
#include "base/status.h"
#include "deviceplugin/allocator.h"
#include "deviceplugin/device_store.h"

namespace grpc {
class Server;
}

namespace hami::deviceplugin {

// WIRE: kubelet API version and well-known socket names.
inline constexpr char kDevicePluginApiVersion[] = "v1beta1";
inline constexpr char kKubeletSocket[] = "kubelet.sock";
inline constexpr char kDefaultEndpoint[] = "nvidia-gpu.sock";

// WIRE: the socket of resource "<domain>/<name>" ("nvidia.com/mig-1g.5gb" ->
// "nvidia-mig-1g.5gb.sock"), as NVIDIA's device plugin names its per-resource sockets.
std::string EndpointFor(const std::string& resource_name);

struct PluginServerConfig {
  std::string plugin_dir = "/var/lib/kubelet/device-plugins";
  std::string endpoint = kDefaultEndpoint;
  std::string resource_name = "nvidia.com/gpu";
  bool preferred_allocation = false;  // DevicePluginOptions.get_preferred_allocation_available
  bool numa_topology = false;         // attach TopologyInfo to devices
  std::chrono::milliseconds retry_interval{5000};
  // The clock of the retries, and the sleep between checks where inotify is unavailable. gRPC
  // deadlines stay on the real clock: they bound real I/O.
  base::Env* env = base::Env::Default();
};

class PluginService;  // the gRPC service implementation (plugin_server.cc)

class PluginServer {
 public:
  PluginServer(DeviceStore& store, AllocateHandler& allocator, PluginServerConfig config);
  ~PluginServer();

  // Starts serving (removing a stale socket first). Does not register.
  base::Status Start();
  // One Register call to the kubelet (5 s deadline). Errors name the socket.
  base::Status Register();
  // Serve + register, and keep it so until `stop` is requested; then shuts down.
  void Run(std::stop_token stop);
  // Stops serving and removes the socket (idempotent).
  void Shutdown();

  std::string socket_path() const;
  int registrations() const { return registrations_.load(); }

 private:
  DeviceStore& store_;
  AllocateHandler& allocator_;
  PluginServerConfig config_;
  std::unique_ptr<PluginService> service_;
  std::mutex mu_;
  std::unique_ptr<grpc::Server> server_;
  std::atomic<int> registrations_{0};
};

}  // namespace hami::deviceplugin
