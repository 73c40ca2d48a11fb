// DevicePluginService's loops on a fake clock (fakes::FakeEnv, manual mode): health changes reach
// the store at the next health tick, node annotations are re-checked against the API server only
// every register interval, and host directories of gone pods are cleaned at that interval (never
// on an incomplete pod list). No test here sleeps for real to wait out an interval.
#include "deviceplugin/service.h"

#include <filesystem>
#include <mutex>

#include <gtest/gtest.h>

#include "deviceplugin/volcano_wire.h"
#include "k8s/resource_path.h"
#include "test/fakes/fake_env.h"
#include "test/fakes/fake_kube_api.h"
#include "vendor/nvidia/wire.h"

namespace hami::deviceplugin {
namespace {

namespace fs = std::filesystem;
namespace nvidia = vendor::nvidia;
using Json = nlohmann::json;
using std::chrono::milliseconds;

constexpr milliseconds kHealthInterval{7000};     // distinct from the plugin server's sleeps
constexpr milliseconds kRegisterInterval{21000};  // three health ticks

// A driver whose GPUs and their health the test sets.
class ScriptedSource : public DeviceSource {
 public:
  void SetHealthy(bool healthy) {
    std::lock_guard<std::mutex> lock(mu_);
    healthy_ = healthy;
  }
  base::Result<std::vector<GpuInfo>> Discover() override {
    std::lock_guard<std::mutex> lock(mu_);
    GpuInfo gpu;
    gpu.uuid = "GPU-scripted-0";
    gpu.name = "Tesla T4";
    gpu.memory_mib = 15360;
    gpu.healthy = healthy_;
    return std::vector<GpuInfo>{gpu};
  }
  std::map<std::pair<std::string, std::string>, PairLink> Links(
      const std::vector<GpuInfo>& /*gpus*/) override {
    return {};
  }

 private:
  std::mutex mu_;
  bool healthy_ = true;
};

class DevicePluginServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hami_dp_service_XXXXXX";
    root_ = mkdtemp(tmpl);
    fs::create_directories(root_ + "/device-plugins");
    env_.set_auto_advance(false);
    ASSERT_TRUE(api_.Create(k8s::NodesPath(), {{"metadata", {{"name", "node-a"}}}}).ok());
    auto source = std::make_unique<ScriptedSource>();
    source_ = source.get();
    ServiceConfig config;
    config.plugin.node_name = "node-a";
    config.plugin_dir = root_ + "/device-plugins";
    config.host_vgpu_dir = root_ + "/vgpu";
    config.lock_dir = root_ + "/lock";
    config.health_interval = kHealthInterval;
    config.register_interval = kRegisterInterval;
    config.env = &env_;
    Configure(config);
    service_ = std::make_unique<DevicePluginService>(api_, std::move(source), config);
    ASSERT_TRUE(service_->Start().ok());
  }
  void TearDown() override {
    service_.reset();
    fs::remove_all(root_);
  }

  virtual void Configure(ServiceConfig& /*config*/) {}
  std::string NodeAnnotation(const std::string& key) {
    auto node = api_.Get(k8s::NodesPath("node-a"));
    return node->at("metadata").value("annotations", Json::object()).value(key, "");
  }

  // Health ticks the discovery loop has started to wait for so far.
  size_t HealthSleeps() const {
    size_t count = 0;
    for (const auto& sleep : env_.sleeps()) count += sleep == kHealthInterval ? 1 : 0;
    return count;
  }
  // Moves the clock one health interval and returns once the discovery loop has finished that
  // round (it is waiting for the next tick).
  void Tick() {
    const size_t before = HealthSleeps();
    ASSERT_GE(before, 1U);
    env_.Advance(kHealthInterval);
    for (size_t sleeps = env_.sleeps().size(); HealthSleeps() == before; ++sleeps) {
      ASSERT_TRUE(env_.WaitForSleeps(sleeps + 1)) << "the discovery loop did not come back";
    }
  }
  void WaitForFirstTick() {
    for (size_t sleeps = 1; HealthSleeps() == 0; ++sleeps) {
      ASSERT_TRUE(env_.WaitForSleeps(sleeps)) << "the discovery loop never slept";
    }
  }
  bool Healthy() const {
    auto devices = service_->store().Devices();
    return !devices.empty() && devices.front().health;
  }
  std::string RegisterAnnotation() {
    auto node = api_.Get(k8s::NodesPath("node-a"));
    return node->at("metadata")
        .value("annotations", Json::object())
        .value(nvidia::kRegisterAnnotation, "");
  }
  // Creates a pod on node-a; returns the uid the API server gave it.
  std::string AddPod(const std::string& name) {
    auto pod = api_.Create(k8s::PodsPath("default"),
                           {{"metadata", {{"name", name}}}, {"spec", {{"nodeName", "node-a"}}}});
    EXPECT_TRUE(pod.ok());
    return pod.ok() ? pod->at("metadata").value("uid", "") : "";
  }
  std::string ContainerDir(const std::string& pod_uid) const {
    return root_ + "/vgpu/containers/" + pod_uid + "_main";
  }

  std::string root_;
  fakes::FakeEnv env_;
  fakes::FakeKubeApi api_;
  ScriptedSource* source_ = nullptr;
  std::unique_ptr<DevicePluginService> service_;
};

TEST_F(DevicePluginServiceTest, AHealthChangeReachesTheStoreAtTheNextHealthTick) {
  WaitForFirstTick();
  EXPECT_TRUE(Healthy());
  source_->SetHealthy(false);
  EXPECT_TRUE(Healthy()) << "nothing polls before the interval has passed";
  Tick();
  EXPECT_FALSE(Healthy());
  source_->SetHealthy(true);
  Tick();
  EXPECT_TRUE(Healthy());
}

TEST_F(DevicePluginServiceTest, NodeAnnotationsAreRecheckedOnlyEveryRegisterInterval) {
  WaitForFirstTick();
  const std::string registered = RegisterAnnotation();
  ASSERT_FALSE(registered.empty()) << "Start registers the node";
  // Someone removes the annotation: unchanged discoveries do not read the node back...
  ASSERT_TRUE(k8s::PatchAnnotations(api_, k8s::NodesPath("node-a"),
                                    {{nvidia::kRegisterAnnotation, nullptr}})
                  .ok());
  Tick();
  Tick();
  EXPECT_EQ(RegisterAnnotation(), "");
  // ...the third tick completes a register interval, which checks the node and restores it.
  Tick();
  EXPECT_EQ(RegisterAnnotation(), registered);
}

TEST_F(DevicePluginServiceTest, GonePodsDirectoriesAreRemovedEveryRegisterInterval) {
  WaitForFirstTick();
  const std::string live = AddPod("train");
  ASSERT_FALSE(live.empty());
  fs::create_directories(ContainerDir(live));
  fs::create_directories(ContainerDir("gone-uid"));
  Tick();
  Tick();
  EXPECT_TRUE(fs::exists(ContainerDir("gone-uid"))) << "cleanup waits for the register interval";
  Tick();
  EXPECT_FALSE(fs::exists(ContainerDir("gone-uid")));
  EXPECT_TRUE(fs::exists(ContainerDir(live)));
}

TEST_F(DevicePluginServiceTest, AFailedPodListRemovesNothing) {
  WaitForFirstTick();
  fs::create_directories(ContainerDir("unknown-uid"));
  Tick();
  Tick();
  api_.FailNext("LIST", base::Unavailable("api server down"));
  Tick();
  EXPECT_TRUE(fs::exists(ContainerDir("unknown-uid"))) << "never delete on an incomplete view";
  for (int i = 0; i < 3; ++i) Tick();
  EXPECT_FALSE(fs::exists(ContainerDir("unknown-uid"))) << "the next interval's list succeeds";
}

// --volcano: the node is registered as Volcano's deviceshare plugin reads it, and the scheduler's
// Requesting_ handshake is answered at the next register interval (Volcano drops the node's GPUs
// 60 s after asking without an answer).
class VolcanoServiceTest : public DevicePluginServiceTest {
 protected:
  void Configure(ServiceConfig& config) override { config.plugin.volcano = true; }
};

TEST_F(VolcanoServiceTest, RegistersForVolcanoAndAnswersTheHandshake) {
  WaitForFirstTick();
  EXPECT_EQ(NodeAnnotation(volcano::kRegisterAnnotation),
            "GPU-scripted-0,10,15360,NVIDIA-Tesla T4,true,hami-core:");
  EXPECT_EQ(NodeAnnotation(volcano::kUnhealthyIdsAnnotation), "");
  EXPECT_TRUE(NodeAnnotation(volcano::kHandshakeAnnotation).starts_with("Reported_"));
  EXPECT_EQ(RegisterAnnotation(), "") << "no hami.io registration in Volcano mode";
  ASSERT_TRUE(
      k8s::PatchAnnotations(api_, k8s::NodesPath("node-a"),
                            {{volcano::kHandshakeAnnotation, "Requesting_2026.12.07 11:00:00"}})
          .ok());
  Tick();
  Tick();
  EXPECT_TRUE(NodeAnnotation(volcano::kHandshakeAnnotation).starts_with("Requesting_"));
  Tick();
  EXPECT_TRUE(NodeAnnotation(volcano::kHandshakeAnnotation).starts_with("Reported_"));
  source_->SetHealthy(false);
  Tick();
  EXPECT_EQ(NodeAnnotation(volcano::kRegisterAnnotation),
            "GPU-scripted-0,10,15360,NVIDIA-Tesla T4,false,hami-core:");
  EXPECT_EQ(NodeAnnotation(volcano::kUnhealthyIdsAnnotation), "GPU-scripted-0");
}

}  // namespace
}  // namespace hami::deviceplugin
