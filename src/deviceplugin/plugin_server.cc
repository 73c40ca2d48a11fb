#include "deviceplugin/plugin_server.h"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <grpcpp/grpcpp.h>

#include "base/log.h"
#include "proto/api.grpc.pb.h"

namespace hami::deviceplugin {

class PluginService final : public v1beta1::DevicePlugin::Service {
 public:
  PluginService(DeviceStore& store, AllocateHandler& allocator, const PluginServerConfig& config)
      : store_(store), allocator_(allocator), config_(config) {}

  void SetStopping(bool stopping) { stopping_ = stopping; }

  grpc::Status GetDevicePluginOptions(grpc::ServerContext*, const v1beta1::Empty*,
                                      v1beta1::DevicePluginOptions* out) override {
    out->set_pre_start_required(false);
    out->set_get_preferred_allocation_available(config_.preferred_allocation);
    return grpc::Status::OK;
  }

  grpc::Status ListAndWatch(grpc::ServerContext* context, const v1beta1::Empty*,
                            grpc::ServerWriter<v1beta1::ListAndWatchResponse>* writer) override {
    uint64_t seen = store_.version();
    if (!writer->Write(DeviceList())) return grpc::Status::OK;
    while (!stopping_ && !store_.closed() && !context->IsCancelled()) {
      uint64_t version = store_.WaitForChange(seen, std::chrono::milliseconds(500));
      if (version == seen) continue;
      seen = version;
      if (!writer->Write(DeviceList())) break;
    }
    return grpc::Status::OK;
  }

  grpc::Status GetPreferredAllocation(grpc::ServerContext*,
                                      const v1beta1::PreferredAllocationRequest* request,
                                      v1beta1::PreferredAllocationResponse* out) override {
    std::vector<PreferredRequest> requests;
    for (const auto& r : request->container_requests()) {
      requests.push_back({{r.available_deviceids().begin(), r.available_deviceids().end()},
                          {r.must_include_deviceids().begin(), r.must_include_deviceids().end()},
                          r.allocation_size()});
    }
    for (const auto& ids : allocator_.Preferred(requests, store_.ReplicaToUuid())) {
      auto* response = out->add_container_responses();
      for (const auto& id : ids) response->add_deviceids(id);
    }
    return grpc::Status::OK;
  }

  grpc::Status Allocate(grpc::ServerContext*, const v1beta1::AllocateRequest* request,
                        v1beta1::AllocateResponse* out) override {
    std::vector<std::vector<std::string>> requests;
    for (const auto& r : request->container_requests()) {
      requests.emplace_back(r.devices_ids().begin(), r.devices_ids().end());
    }
    auto allocations = allocator_.Allocate(requests);
    if (!allocations.ok()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, allocations.error().message());
    }
    for (const auto& allocation : *allocations) {
      auto* response = out->add_container_responses();
      for (const auto& [key, value] : allocation.envs) (*response->mutable_envs())[key] = value;
      for (const auto& mount : allocation.mounts) {
        auto* m = response->add_mounts();
        m->set_container_path(mount.container_path);
        m->set_host_path(mount.host_path);
        m->set_read_only(mount.read_only);
      }
      for (const auto& device : allocation.devices) {
        auto* d = response->add_devices();
        d->set_container_path(device.container_path);
        d->set_host_path(device.host_path);
        d->set_permissions(device.permissions);
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status PreStartContainer(grpc::ServerContext*, const v1beta1::PreStartContainerRequest*,
                                 v1beta1::PreStartContainerResponse*) override {
    return grpc::Status::OK;
  }

 private:
  v1beta1::ListAndWatchResponse DeviceList() const {
    v1beta1::ListAndWatchResponse response;
    for (const auto& replica : store_.Replicas()) {
      auto* device = response.add_devices();
      device->set_id(replica.id);
      device->set_health(replica.healthy ? "Healthy" : "Unhealthy");
      if (config_.numa_topology) device->mutable_topology()->add_nodes()->set_id(replica.numa);
    }
    return response;
  }

  DeviceStore& store_;
  AllocateHandler& allocator_;
  const PluginServerConfig& config_;
  std::atomic<bool> stopping_{false};
};

namespace {

// Watches the plugin directory for kubelet.sock being (re)created.
class KubeletSocketWatch {
 public:
  KubeletSocketWatch(const std::string& dir, base::Env* env) : env_(env) {
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ >= 0 && inotify_add_watch(fd_, dir.c_str(), IN_CREATE | IN_MOVED_TO) < 0) {
      base::LogWarn("inotify watch failed; polling only",
                    {{"dir", dir}, {"error", std::strerror(errno)}});
      close(fd_);
      fd_ = -1;
    }
  }
  ~KubeletSocketWatch() {
    if (fd_ >= 0) close(fd_);
  }
  // Waits up to `timeout` (or until `stop`); true when kubelet.sock was created meanwhile.
  bool WaitForKubelet(std::chrono::milliseconds timeout, std::stop_token stop) {
    if (fd_ < 0) {
      env_->SleepFor(timeout, stop);
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    alignas(inotify_event) char buf[4096];
    bool created = false;
    ssize_t n;
    while ((n = read(fd_, buf, sizeof(buf))) > 0) {
      for (char* p = buf; p < buf + n;) {
        auto* event = reinterpret_cast<inotify_event*>(p);
        if (event->len > 0 && std::strcmp(event->name, kKubeletSocket) == 0) created = true;
        p += sizeof(inotify_event) + event->len;
      }
    }
    return created;
  }

 private:
  base::Env* env_;
  int fd_ = -1;
};

}  // namespace

std::string EndpointFor(const std::string& resource_name) {
  const size_t slash = resource_name.rfind('/');
  return "nvidia-" +
         (slash == std::string::npos ? resource_name : resource_name.substr(slash + 1)) + ".sock";
}

PluginServer::PluginServer(DeviceStore& store, AllocateHandler& allocator,
                           PluginServerConfig config)
    : store_(store), allocator_(allocator), config_(std::move(config)) {}

PluginServer::~PluginServer() { Shutdown(); }

std::string PluginServer::socket_path() const {
  return config_.plugin_dir + "/" + config_.endpoint;
}

base::Status PluginServer::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (server_) return {};
  const std::string path = socket_path();
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return base::Internal("remove stale socket " + path + ": " + std::strerror(errno));
  }
  service_ = std::make_unique<PluginService>(store_, allocator_, config_);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix://" + path, grpc::InsecureServerCredentials());
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_) return base::Unavailable("serve device plugin on " + path);
  if (chmod(path.c_str(), 0600) != 0) {
    return base::Internal("chmod " + path + ": " + std::strerror(errno));
  }
  base::LogInfo("serving device plugin", {{"socket", path}});
  return {};
}

base::Status PluginServer::Register() {
  const std::string kubelet = config_.plugin_dir + "/" + kKubeletSocket;
  auto channel = grpc::CreateChannel("unix://" + kubelet, grpc::InsecureChannelCredentials());
  auto stub = v1beta1::Registration::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  context.set_wait_for_ready(false);
  v1beta1::RegisterRequest request;
  request.set_version(kDevicePluginApiVersion);
  request.set_endpoint(config_.endpoint);
  request.set_resource_name(config_.resource_name);
  request.mutable_options()->set_get_preferred_allocation_available(config_.preferred_allocation);
  v1beta1::Empty response;
  grpc::Status status = stub->Register(&context, request, &response);
  if (!status.ok()) {
    return base::Unavailable("register with kubelet at " + kubelet + ": " + status.error_message());
  }
  ++registrations_;
  base::LogInfo("registered with kubelet",
                {{"resource", config_.resource_name}, {"endpoint", config_.endpoint}});
  return {};
}

void PluginServer::Shutdown() {
  std::unique_ptr<grpc::Server> server;
  {
    std::lock_guard<std::mutex> lock(mu_);
    server = std::move(server_);
  }
  if (!server) return;
  service_->SetStopping(true);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  unlink(socket_path().c_str());
}

void PluginServer::Run(std::stop_token stop) {
  KubeletSocketWatch watch(config_.plugin_dir, config_.env);
  bool registered = false;
  auto next_try = config_.env->SteadyNow();
  while (!stop.stop_requested()) {
    bool restart = false;
    {
      struct stat st;
      std::lock_guard<std::mutex> lock(mu_);
      restart = server_ && stat(socket_path().c_str(), &st) != 0;  // the kubelet wiped it
    }
    if (restart) {
      base::LogInfo("device plugin socket removed; restarting", {{"socket", socket_path()}});
      Shutdown();
      registered = false;
    }
    if (!registered && config_.env->SteadyNow() >= next_try) {
      base::Status status = Start();
      if (status.ok()) status = Register();
      registered = status.ok();
      if (!registered) {
        base::LogWarn("device plugin not registered; will retry", {{"error", status.message()}});
        next_try = config_.env->SteadyNow() + config_.retry_interval;
      }
    }
    if (watch.WaitForKubelet(std::chrono::milliseconds(500), stop)) {
      base::LogInfo("kubelet.sock created (kubelet restart); re-registering");
      Shutdown();
      registered = false;
      next_try = config_.env->SteadyNow();
    }
  }
  Shutdown();
}

}  // namespace hami::deviceplugin
