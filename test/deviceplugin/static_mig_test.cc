// Static MIG strategies against the simulated NVML (2×A100-40GB, GPU 1 in MIG mode): MIG devices
// are pre-created through NVML (as an admin would with nvidia-smi), then DevicePluginService
// serves them. mixed: one kubelet resource per profile (socket, IDs = MIG UUIDs, a profile that
// appears later gets its own), Allocate over gRPC answers NVIDIA_VISIBLE_DEVICES; GPU 0 stays a
// vGPU. single: each MIG device is a register-annotation device of its own; several profiles
// stop the start.
// Its own process: the simulated NVML reads its configuration once per process.
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "codec/node_register.h"
#include "deviceplugin/nvml_device_source.h"
#include "deviceplugin/service.h"
#include "k8s/resource_path.h"
#include "proto/api.grpc.pb.h"
#include "test/fakes/fake_kube_api.h"
#include "vendor/nvidia/wire.h"

namespace hami::deviceplugin {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// Polls `done` every 20 ms for up to 10 s (the service's loop runs on the real clock here).
bool Eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return done();
}

class StaticMigTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (access(HAMI_SIM_LIBDIR "/libnvidia-ml.so.1", R_OK) != 0) return;
    char tmpl[] = "/tmp/hami_dp_staticmig_XXXXXX";
    shared_state_dir = new std::string(mkdtemp(tmpl));
    setenv("HAMI_SIM_GPUS", "2xA100-40GB", 1);
    setenv("HAMI_SIM_MIG", "1", 1);
    setenv("HAMI_SIM_STATE", (*shared_state_dir + "/sim.state").c_str(), 1);
  }
  static void TearDownTestSuite() {
    if (shared_state_dir != nullptr) fs::remove_all(*shared_state_dir);
    delete shared_state_dir;
    shared_state_dir = nullptr;
  }

  void SetUp() override {
    if (shared_state_dir == nullptr) GTEST_SKIP() << "no sim NVML";
    auto source = NvmlDeviceSource::Open(HAMI_SIM_LIBDIR "/libnvidia-ml.so.1");
    ASSERT_TRUE(source.ok()) << source.error().message();
    source_ = source->get();
    owned_source_ = std::move(source).value();
    auto gpus = source_->Discover();
    ASSERT_TRUE(gpus.ok());
    ASSERT_EQ(gpus->size(), 2U);
    whole_ = (*gpus)[0];
    mig_ = (*gpus)[1];
    ASSERT_FALSE(whole_.mig_enabled);
    ASSERT_TRUE(mig_.mig_enabled);
    auto existing = source_->MigInstances(mig_);
    ASSERT_TRUE(existing.ok());
    for (const auto& instance : *existing) {
      ASSERT_TRUE(source_->DestroyMigInstance(mig_, instance.gpu_instance_id).ok());
    }
    char tmpl[] = "/tmp/hami_dp_staticmig_root_XXXXXX";
    root_ = mkdtemp(tmpl);
    fs::create_directories(root_ + "/device-plugins");
    ASSERT_TRUE(api_.Create(k8s::NodesPath(), {{"metadata", {{"name", "node-a"}}}}).ok());
  }
  void TearDown() override {
    service_.reset();
    owned_source_.reset();
    if (!root_.empty()) fs::remove_all(root_);
  }

  // An admin's `nvidia-smi mig -cgi <profile> -C` at `start`.
  std::string Create(const std::string& profile, int32_t start, int32_t size) {
    for (const auto& p : mig_.mig_profiles) {
      if (p.name != profile) continue;
      auto made = source_->CreateMigInstance(mig_, p, {start, size});
      EXPECT_TRUE(made.ok()) << made.error().message();
      return made.ok() ? made->mig_uuid : "";
    }
    ADD_FAILURE() << "no profile " << profile;
    return "";
  }

  base::Status StartService(const std::string& strategy) {
    ServiceConfig config;
    config.plugin.node_name = "node-a";
    config.plugin.mig_strategy = strategy;
    config.plugin_dir = root_ + "/device-plugins";
    config.host_vgpu_dir = root_ + "/vgpu";
    config.lock_dir = root_ + "/lock";
    config.health_interval = milliseconds(50);
    config.register_interval = milliseconds(200);
    config.retry_interval = milliseconds(100);
    service_ = std::make_unique<DevicePluginService>(api_, std::move(owned_source_), config);
    return service_->Start();
  }

  std::string RegisterAnnotation() {
    auto node = api_.Get(k8s::NodesPath("node-a"));
    return node->at("metadata")
        .value("annotations", nlohmann::json::object())
        .value(vendor::nvidia::kRegisterAnnotation, "");
  }

  static std::string* shared_state_dir;
  std::string root_;
  fakes::FakeKubeApi api_;
  std::unique_ptr<NvmlDeviceSource> owned_source_;
  NvmlDeviceSource* source_ = nullptr;  // owned by owned_source_, then by the service
  GpuInfo whole_, mig_;
  std::unique_ptr<DevicePluginService> service_;
};

std::string* StaticMigTest::shared_state_dir = nullptr;

std::vector<std::string> Ids(const std::vector<ReplicaDevice>& replicas) {
  std::vector<std::string> ids;
  ids.reserve(replicas.size());
  for (const auto& r : replicas) ids.push_back(r.id);
  return ids;
}

TEST_F(StaticMigTest, MixedServesEachProfileAsAResource) {
  const std::string a = Create("1g.5gb", 0, 1);
  const std::string b = Create("1g.5gb", 1, 1);
  const std::string c = Create("2g.10gb", 2, 2);
  ASSERT_TRUE(StartService("mixed").ok());

  auto resources = service_->MigResourceDevices();
  ASSERT_EQ(resources.size(), 2U);
  EXPECT_EQ(Ids(resources.at("nvidia.com/mig-1g.5gb")), (std::vector<std::string>{a, b}));
  EXPECT_EQ(Ids(resources.at("nvidia.com/mig-2g.10gb")), (std::vector<std::string>{c}));
  // GPU 0 (MIG off) is still split into vGPUs under nvidia.com/gpu; GPU 1 is not.
  auto devices = service_->store().Devices();
  ASSERT_EQ(devices.size(), 1U);
  EXPECT_EQ(devices[0].id, whole_.uuid);
  EXPECT_EQ(devices[0].count, 10);

  // The kubelet's view over the resource's own socket: ListAndWatch and Allocate.
  const std::string socket = root_ + "/device-plugins/nvidia-mig-1g.5gb.sock";
  ASSERT_TRUE(Eventually([&] { return fs::exists(socket); })) << socket;
  auto stub = v1beta1::DevicePlugin::NewStub(
      grpc::CreateChannel("unix://" + socket, grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1beta1::Empty empty;
    auto reader = stub->ListAndWatch(&context, empty);
    v1beta1::ListAndWatchResponse list;
    ASSERT_TRUE(reader->Read(&list));
    ASSERT_EQ(list.devices_size(), 2);
    EXPECT_EQ(list.devices(0).id(), a);
    EXPECT_EQ(list.devices(0).health(), "Healthy");
    context.TryCancel();
  }
  grpc::ClientContext context;
  v1beta1::AllocateRequest request;
  request.add_container_requests()->add_devices_ids(b);
  v1beta1::AllocateResponse response;
  grpc::Status status = stub->Allocate(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.container_responses_size(), 1);
  const auto& envs = response.container_responses(0).envs();
  EXPECT_EQ(envs.size(), 1U) << "no libvgpu env: MIG isolates in hardware";
  EXPECT_EQ(envs.at("NVIDIA_VISIBLE_DEVICES"), b);
  EXPECT_EQ(response.container_responses(0).mounts_size(), 0);

  // A profile created while the plugin runs gets its resource at the next discovery.
  const std::string d = Create("3g.20gb", 4, 4);
  ASSERT_TRUE(
      Eventually([&] { return service_->MigResourceDevices().count("nvidia.com/mig-3g.20gb"); }));
  EXPECT_EQ(Ids(service_->MigResourceDevices().at("nvidia.com/mig-3g.20gb")),
            (std::vector<std::string>{d}));
  EXPECT_TRUE(
      Eventually([&] { return fs::exists(root_ + "/device-plugins/nvidia-mig-3g.20gb.sock"); }));
}

TEST_F(StaticMigTest, SingleRegistersEachMigDeviceAsAGpu) {
  const std::string a = Create("3g.20gb", 0, 4);
  const std::string b = Create("3g.20gb", 4, 4);
  ASSERT_TRUE(StartService("single").ok());
  EXPECT_TRUE(service_->MigResourceDevices().empty());

  auto registered = codec::DecodeNodeDevices(RegisterAnnotation());
  ASSERT_TRUE(registered.ok()) << RegisterAnnotation();
  ASSERT_EQ(registered->size(), 3U);
  EXPECT_EQ((*registered)[0].id, whole_.uuid);
  EXPECT_EQ((*registered)[0].count, 10);
  for (size_t i = 1; i < 3; ++i) {
    const auto& d = (*registered)[i];
    EXPECT_EQ(d.id, i == 1 ? a : b);
    EXPECT_EQ(d.count, 1);
    EXPECT_EQ(d.devcore, 100);
    EXPECT_EQ(d.index, 1);
    EXPECT_EQ(d.type, "NVIDIA A100-SXM4-40GB-MIG-3g.20gb");
    EXPECT_GT(d.devmem, 19000);
    EXPECT_LT(d.devmem, 20480);
  }
  auto ids = Ids(service_->store().Replicas());
  ASSERT_EQ(ids.size(), 12U);
  EXPECT_EQ(ids[10], a) << "a MIG device is one kubelet device, by UUID";
  EXPECT_EQ(ids[11], b);
}

TEST_F(StaticMigTest, SingleRefusesToStartWithSeveralProfiles) {
  Create("3g.20gb", 0, 4);
  Create("1g.5gb", 4, 1);
  base::Status status = StartService("single");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("migStrategy single needs MIG devices of one profile"),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("1g.5gb,3g.20gb"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace hami::deviceplugin
