// hami-device-plugin, the real binary, on the simulated driver (2 x A100-40GB):
//   * registers with a fake kubelet Registration server (gRPC on <dir>/kubelet.sock),
//   * writes hami.io/node-nvidia-register on its Node (API server: FakeKubeApi over HTTP),
//   * ListAndWatch lists split-count replica IDs, all Healthy, socket mode 0600,
//   * Allocate for a pod placed by the scheduler gives the §5.2 env and mounts, sets bind-phase
//     success and releases the node lock (the compatibility mode, --node-lock=true: the default
//     path, through the kubelet's pod-resources API, runs in e2e_device_plugin and e2e_bind
//     against the kubelet's own pod-resources server); a CUDA process under that env with
//     libvgpu.so on the simulated driver sees exactly its 3000 MiB slice (CUDA and NVML), its
//     region lands in the container's host directory,
//   * a kubelet restart (socket dir wiped, kubelet.sock recreated) leads to a new registration,
//   * SIGTERM: exits 0 and removes its socket.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "codec/node_lock.h"
#include "codec/node_register.h"
#include "deviceplugin/nvml_device_source.h"
#include "model/device.h"
#include "model/protocol.h"
#include "proto/api.grpc.pb.h"
#include "test/fakes/fake_api_server.h"
#include "vendor/nvidia/wire.h"

namespace hami {

namespace nvidia = vendor::nvidia;
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// The kubelet's Registration service: records every RegisterRequest.
class FakeKubelet final : public v1beta1::Registration::Service {
 public:
  grpc::Status Register(grpc::ServerContext*, const v1beta1::RegisterRequest* request,
                        v1beta1::Empty*) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(*request);
    cv_.notify_all();
    return grpc::Status::OK;
  }
  // Waits until `n` registrations arrived; returns the n-th.
  std::optional<v1beta1::RegisterRequest> WaitFor(size_t n, std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; })) return std::nullopt;
    return requests_[n - 1];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<v1beta1::RegisterRequest> requests_;
};

std::unique_ptr<grpc::Server> Serve(const std::string& socket, grpc::Service* service) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix://" + socket, grpc::InsecureServerCredentials());
  builder.RegisterService(service);
  return builder.BuildAndStart();
}

// Waits (polling the in-process fake; the condition is an annotation appearing) for `pred`.
template <typename Pred>
bool Eventually(Pred pred, std::chrono::seconds timeout = std::chrono::seconds(30)) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

std::pair<int, std::string> RunProbe(const std::vector<std::string>& args,
                                     const std::map<std::string, std::string>& env) {
  int out[2];
  if (pipe(out) != 0) return {-1, ""};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    std::string probe = HAMI_SHIM_PROBE;
    argv.push_back(probe.data());
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof(buf))) > 0) text.append(buf, n);
  close(out[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), text};
}

uint64_t Value(const std::string& out, const std::string& key) {
  size_t p = out.find(key + "=");
  if (p == std::string::npos) return UINT64_MAX;
  return std::strtoull(out.c_str() + p + key.size() + 1, nullptr, 10);
}

class DevicePluginIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(HAMI_SIM_LIBDIR "/libnvidia-ml.so.1", R_OK) != 0) {
      GTEST_SKIP() << "simulated driver not built at " HAMI_SIM_LIBDIR;
    }
    char tmpl[] = "/tmp/hami_dp_it_XXXXXX";
    root_ = mkdtemp(tmpl);
    plugin_dir_ = root_ + "/device-plugins";
    fs::create_directories(plugin_dir_);
    sim_state_ = root_ + "/sim.state";
    ASSERT_TRUE(api_.Create(k8s::NodesPath(), {{"metadata", {{"name", "node-a"}}}}).ok());
    ASSERT_GT(server_.Start(), 0);
    ASSERT_TRUE(server_.WriteKubeconfig(root_ + "/kubeconfig"));
    std::ofstream(root_ + "/config.json")
        << R"({"nodeconfig":[{"name":"node-a","devicesplitcount":4}]})";
    kubelet_server_ = Serve(plugin_dir_ + "/kubelet.sock", &kubelet_);
    ASSERT_TRUE(kubelet_server_);
  }

  void TearDown() override {
    if (plugin_pid_ > 0) {
      kill(plugin_pid_, SIGKILL);
      waitpid(plugin_pid_, nullptr, 0);
    }
    if (kubelet_server_) kubelet_server_->Shutdown();
    if (!root_.empty()) fs::remove_all(root_);
  }

  void StartPlugin() {
    plugin_pid_ = fork();
    if (plugin_pid_ == 0) {
      setenv("LD_LIBRARY_PATH", HAMI_SIM_LIBDIR, 1);
      setenv("HAMI_SIM_GPUS", "2xA100-40GB", 1);
      setenv("HAMI_SIM_STATE", sim_state_.c_str(), 1);
      unsetenv("NODE_NAME");
      std::vector<std::string> args = {HAMI_DEVICE_PLUGIN,
                                       "--node-name",
                                       "node-a",
                                       "--kubeconfig",
                                       root_ + "/kubeconfig",
                                       "--node-config-file",
                                       root_ + "/config.json",
                                       "--device-plugin-path",
                                       plugin_dir_,
                                       "--hook-path",
                                       root_ + "/hook",
                                       "--register-interval",
                                       "1s",
                                       "--node-lock=true"};
      std::vector<char*> argv;
      argv.reserve(args.size());
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    ASSERT_GT(plugin_pid_, 0);
  }

  std::string NodeAnnotation(const std::string& key) {
    auto node = api_.Get(k8s::NodesPath("node-a"));
    return node->at("metadata").value("annotations", Json::object()).value(key, "");
  }
  std::string PodAnnotation(const std::string& key) {
    auto pod = api_.Get(k8s::PodsPath("default", "train"));
    return pod->at("metadata").value("annotations", Json::object()).value(key, "");
  }

  std::string socket() const { return plugin_dir_ + "/nvidia-gpu.sock"; }
  static unsigned Mode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

  // hami.io/node-nvidia-register: both simulated GPUs, split 4 (per-node config), healthy.
  void ExpectNodeRegistered(std::vector<model::DeviceInfo>& devices) {
    ASSERT_TRUE(Eventually([&] { return !NodeAnnotation(nvidia::kRegisterAnnotation).empty(); }));
    auto decoded = codec::DecodeNodeDevices(NodeAnnotation(nvidia::kRegisterAnnotation));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message();
    devices = *decoded;
    ASSERT_EQ(devices.size(), 2u);
    for (int i = 0; i < 2; ++i) {
      const auto& d = devices[i];
      EXPECT_EQ(d.index, i);
      EXPECT_EQ(d.count, 4);
      EXPECT_EQ(d.devmem, 40960);
      EXPECT_EQ(d.devcore, 100);
      EXPECT_EQ(d.type, "NVIDIA A100-SXM4-40GB");
      EXPECT_EQ(d.mode, "hami-core");
      EXPECT_TRUE(d.health);
    }
  }

  // ListAndWatch's first list: <UUID>-0..3 per GPU, all Healthy.
  void ExpectReplicas(v1beta1::DevicePlugin::Stub& plugin,
                      const std::vector<model::DeviceInfo>& devices) {
    grpc::ClientContext context;
    auto stream = plugin.ListAndWatch(&context, v1beta1::Empty());
    v1beta1::ListAndWatchResponse list;
    ASSERT_TRUE(stream->Read(&list));
    std::vector<std::string> ids, want;
    for (const auto& d : list.devices()) {
      ids.push_back(d.id());
      EXPECT_EQ(d.health(), "Healthy");
    }
    for (const auto& d : devices) {
      for (int n = 0; n < 4; ++n) want.push_back(d.id + "-" + std::to_string(n));
    }
    EXPECT_EQ(ids, want);
    context.TryCancel();
  }

  // What hami-scheduler leaves after /bind: pod default/train on `gpu` (3000 MiB, 30 %), bound to
  // node-a, bind-phase allocating, and the node lock held for it.
  void PlaceTrainPod(const std::string& gpu, std::string& uid) {
    const std::string devices = gpu + ",NVIDIA,3000,30:;";
    Json pod = {{"metadata",
                 {{"name", "train"},
                  {"namespace", "default"},
                  {"annotations",
                   {{"hami.io/vgpu-devices-to-allocate", devices},
                    {"hami.io/vgpu-devices-allocated", devices},
                    {"hami.io/vgpu-node", "node-a"},
                    {"hami.io/bind-phase", "allocating"},
                    {"hami.io/bind-time", "1700000000"}}}}},
                {"spec", {{"nodeName", "node-a"}, {"containers", {{{"name", "main"}}}}}},
                {"status", {{"phase", "Pending"}}}};
    auto created = api_.Create(k8s::PodsPath("default"), pod);
    ASSERT_TRUE(created.ok());
    uid = created->at("metadata").at("uid").get<std::string>();
    ASSERT_TRUE(k8s::PatchAnnotations(api_, k8s::NodesPath("node-a"),
                                      {{model::kNodeLockAnnotation,
                                        codec::FormatNodeLock(time(nullptr), "default", "train")}})
                    .ok());
  }

  // §5.2 env and mounts; bind-phase success, entry popped, lock released, directory modes.
  void ExpectAllocation(const v1beta1::ContainerAllocateResponse& c, const std::string& gpu,
                        const std::string& host_dir) {
    std::map<std::string, std::string> envs(c.envs().begin(), c.envs().end());
    EXPECT_EQ(envs["NVIDIA_VISIBLE_DEVICES"], gpu);
    EXPECT_EQ(envs["CUDA_DEVICE_MEMORY_LIMIT_0"], "3000m");
    EXPECT_EQ(envs["CUDA_DEVICE_SM_LIMIT"], "30");
    EXPECT_EQ(envs["LIBCUDA_LOG_LEVEL"], "1");
    EXPECT_EQ(envs["CUDA_DEVICE_MEMORY_SHARED_CACHE"].rfind("/usr/local/vgpu/", 0), 0u);
    std::map<std::string, std::pair<std::string, bool>> mounts;
    for (const auto& m : c.mounts()) mounts[m.container_path()] = {m.host_path(), m.read_only()};
    const std::string vgpu = root_ + "/hook/vgpu";
    EXPECT_EQ(mounts["/usr/local/vgpu/libvgpu.so"], std::make_pair(vgpu + "/libvgpu.so", true));
    EXPECT_EQ(mounts["/usr/local/vgpu"], std::make_pair(host_dir, false));
    EXPECT_EQ(mounts["/tmp/vgpulock"], std::make_pair(std::string("/tmp/vgpulock"), false));
    EXPECT_EQ(mounts["/etc/ld.so.preload"], std::make_pair(vgpu + "/ld.so.preload", true));
    EXPECT_EQ(PodAnnotation("hami.io/bind-phase"), "success");
    EXPECT_EQ(PodAnnotation("hami.io/vgpu-devices-to-allocate"), ";");
    EXPECT_TRUE(NodeAnnotation(model::kNodeLockAnnotation).empty());
    EXPECT_EQ(Mode(host_dir), 0777u);
    EXPECT_EQ(Mode(vgpu + "/containers"), 0700u);
  }

  // A process "in the container": the env Allocate returned, libvgpu preloaded (what
  // /etc/ld.so.preload does), the runtime's NVIDIA_VISIBLE_DEVICES as CUDA_VISIBLE_DEVICES, and
  // the /usr/local/vgpu mount resolved to the host directory. It must see exactly 3000 MiB.
  void ExpectSliceInContainer(const v1beta1::ContainerAllocateResponse& c,
                              const std::string& host_dir) {
    std::map<std::string, std::string> env(c.envs().begin(), c.envs().end());
    const std::string cache = env["CUDA_DEVICE_MEMORY_SHARED_CACHE"];
    env["LD_PRELOAD"] = HAMI_LIBVGPU;
    env["LD_LIBRARY_PATH"] = HAMI_SIM_LIBDIR;
    env["HAMI_SIM_GPUS"] = "2xA100-40GB";
    env["HAMI_SIM_STATE"] = sim_state_;
    env["HAMI_CONTEXT_OVERHEAD"] = "0";
    env["CUDA_VISIBLE_DEVICES"] = env["NVIDIA_VISIBLE_DEVICES"];
    env["CUDA_DEVICE_MEMORY_SHARED_CACHE"] =
        host_dir + cache.substr(std::string("/usr/local/vgpu").size());
    auto [rc, out] = RunProbe({"dlsym", "info"}, env);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_EQ(Value(out, "total"), 3000ull << 20) << out;
    auto [nvml_rc, nvml_out] = RunProbe({"nvml"}, env);
    ASSERT_EQ(nvml_rc, 0) << nvml_out;
    EXPECT_EQ(Value(nvml_out, "nvml_total"), 3000ull << 20) << nvml_out;
    EXPECT_TRUE(fs::exists(env["CUDA_DEVICE_MEMORY_SHARED_CACHE"]));
  }

  // Kubelet restart: it wipes the directory and creates kubelet.sock again; the plugin must
  // serve its socket again and register a second time.
  void RestartKubelet() {
    kubelet_server_->Shutdown();
    kubelet_server_.reset();
    fs::remove(plugin_dir_ + "/kubelet.sock");
    fs::remove(socket());
    kubelet_server_ = Serve(plugin_dir_ + "/kubelet.sock", &kubelet_);
    ASSERT_TRUE(kubelet_server_);
    ASSERT_TRUE(kubelet_.WaitFor(2, std::chrono::seconds(30))) << "no re-registration";
    ASSERT_TRUE(Eventually([&] { return fs::exists(socket()); }));
  }

  std::string root_, plugin_dir_, sim_state_;
  fakes::FakeKubeApi api_;
  fakes::FakeApiServer server_{&api_};
  FakeKubelet kubelet_;
  std::unique_ptr<grpc::Server> kubelet_server_;
  pid_t plugin_pid_ = -1;
};

TEST_F(DevicePluginIntegrationTest, RegisterListAllocateRestartShutdown) {
  StartPlugin();
  auto registration = kubelet_.WaitFor(1, std::chrono::seconds(30));
  ASSERT_TRUE(registration) << "no Register from the plugin";
  EXPECT_EQ(registration->version(), "v1beta1");
  EXPECT_EQ(registration->endpoint(), "nvidia-gpu.sock");
  EXPECT_EQ(registration->resource_name(), "nvidia.com/gpu");
  EXPECT_EQ(Mode(socket()), 0600u);

  std::vector<model::DeviceInfo> devices;
  ASSERT_NO_FATAL_FAILURE(ExpectNodeRegistered(devices));
  auto channel = grpc::CreateChannel("unix://" + socket(), grpc::InsecureChannelCredentials());
  auto plugin = v1beta1::DevicePlugin::NewStub(channel);
  ASSERT_NO_FATAL_FAILURE(ExpectReplicas(*plugin, devices));

  const std::string gpu0 = devices[0].id;
  std::string pod_uid;
  ASSERT_NO_FATAL_FAILURE(PlaceTrainPod(gpu0, pod_uid));
  v1beta1::AllocateRequest request;
  request.add_container_requests()->add_devices_ids(gpu0 + "-2");
  v1beta1::AllocateResponse response;
  grpc::ClientContext context;
  grpc::Status status = plugin->Allocate(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.container_responses_size(), 1);
  const std::string host_dir = root_ + "/hook/vgpu/containers/" + pod_uid + "_main";
  ASSERT_NO_FATAL_FAILURE(ExpectAllocation(response.container_responses(0), gpu0, host_dir));
  ASSERT_NO_FATAL_FAILURE(ExpectSliceInContainer(response.container_responses(0), host_dir));

  ASSERT_NO_FATAL_FAILURE(RestartKubelet());

  ASSERT_EQ(kill(plugin_pid_, SIGTERM), 0);
  int exit_status = 0;
  ASSERT_EQ(waitpid(plugin_pid_, &exit_status, 0), plugin_pid_);
  plugin_pid_ = -1;
  EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0) << exit_status;
  EXPECT_FALSE(fs::exists(socket()));
}

// NvmlDeviceSource in this process against the simulated NVML (JSON machine: NUMA, names, a GPU
// whose name lacks the NVIDIA prefix). NVML reads its configuration once per process.
TEST(NvmlDeviceSourceTest, DiscoversTheSimulatedMachine) {
  if (access(HAMI_SIM_LIBDIR "/libnvidia-ml.so.1", R_OK) != 0) GTEST_SKIP() << "no simulated NVML";
  char tmpl[] = "/tmp/hami_dp_nvml_XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::ofstream(dir + "/gpus.json") << R"({"gpus":[
    {"name":"NVIDIA A100-SXM4-80GB","uuid":"GPU-11111111-2222-3333-4444-555555555555",
     "memoryMiB":81920,"numa":1},
    {"name":"Tesla T4","memoryMiB":15360}]})";
  setenv("HAMI_SIM_GPUS", (dir + "/gpus.json").c_str(), 1);
  setenv("HAMI_SIM_STATE", (dir + "/sim.state").c_str(), 1);
  auto source = deviceplugin::NvmlDeviceSource::Open(HAMI_SIM_LIBDIR "/libnvidia-ml.so.1");
  ASSERT_TRUE(source.ok()) << source.error().message();
  auto gpus = (*source)->Discover();
  ASSERT_TRUE(gpus.ok()) << gpus.error().message();
  ASSERT_EQ(gpus->size(), 2u);
  const auto& a = (*gpus)[0];
  EXPECT_EQ(a.index, 0);
  EXPECT_EQ(a.uuid, "GPU-11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(a.name, "NVIDIA A100-SXM4-80GB");
  EXPECT_EQ(a.memory_mib, 81920);
  EXPECT_EQ(a.numa, 1);
  EXPECT_FALSE(a.mig_enabled);
  EXPECT_TRUE(a.healthy);
  EXPECT_FALSE(a.pci_bus_id.empty());
  const auto& t4 = (*gpus)[1];
  EXPECT_EQ(t4.index, 1);
  EXPECT_EQ(t4.name, "Tesla T4");
  EXPECT_EQ(t4.memory_mib, 15360);
  EXPECT_EQ(t4.numa, 0);  // NOT_SUPPORTED and no sysfs entry for the simulated bus id
  EXPECT_TRUE((*source)->Links(*gpus).empty());  // no nvmlDeviceGetTopologyCommonAncestor
  deviceplugin::PluginConfig config;
  auto inventory = deviceplugin::BuildInventory(*gpus, config);
  EXPECT_EQ(codec::EncodeNodeDevicesJson(inventory.devices),
            R"([{"id":"GPU-11111111-2222-3333-4444-555555555555","count":10,"devmem":81920,)"
            R"("devcore":100,"type":"NVIDIA A100-SXM4-80GB","numa":1,"mode":"hami-core",)"
            R"("health":true},{"id":")" +
                t4.uuid +
                R"(","index":1,"count":10,"devmem":15360,)"
                R"("devcore":100,"type":"NVIDIA-Tesla T4","mode":"hami-core","health":true}])");
  source->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hami
