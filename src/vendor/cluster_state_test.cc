#include "vendor/cluster_state.h"

#include <gtest/gtest.h>

#include "model/pod_test_util.h"
#include "sched/decide.h"
#include "sched/usage.h"

namespace hami::vendor {
namespace {

TEST(ClusterStateTest, NodeFromUpstreamAnnotations) {
  Registry registry;
  codec::NodeObject object;
  object.name = "n1";
  object.annotations = {
      {"hami.io/node-nvidia-register",
       R"([{"id":"GPU-a","count":10,"devmem":32768,"devcore":100,"type":"NVIDIA-Tesla V100-PCIE-32GB","mode":"hami-core","health":true},{"id":"GPU-b","index":1,"count":10,"devmem":32768,"devcore":100,"type":"NVIDIA-Tesla V100-PCIE-32GB","numa":1,"mode":"hami-core","health":true}])"},
      {"hami.io/node-nvidia-score", R"([{"uuid":"GPU-a","score":{"GPU-b":200}}])"},
      {"hami.io/device-cordon", "GPU-b"}};
  auto node = NodeStateFromNode(object, registry);
  ASSERT_TRUE(node.ok()) << node.error().ToString();
  ASSERT_EQ(node->devices.size(), 2u);
  EXPECT_EQ(node->devices[1].info.numa, 1);
  EXPECT_EQ(node->devices[0].info.vendor, "NVIDIA");
  EXPECT_EQ(node->topology.at("GPU-a").at("GPU-b"), 200);
  EXPECT_EQ(node->cordoned, std::set<std::string>{"GPU-b"});
}

TEST(ClusterStateTest, UnregisteredAndMalformedNodes) {
  Registry registry;
  codec::NodeObject object;
  object.name = "n1";
  auto none = NodeStateFromNode(object, registry);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), base::StatusCode::kNotFound);
  object.name = "n2";
  object.annotations = {{"hami.io/node-nvidia-register", "[{"}};
  auto bad = NodeStateFromNode(object, registry);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("node n2"), std::string::npos);
}

TEST(ClusterStateTest, GrantedDevicesCollapseToBookings) {
  Registry registry;
  model::Pod pod;
  pod.name = "p";
  pod.annotations["hami.io/vgpu-devices-allocated"] = "GPU-a,NVIDIA,3000,30:;";
  auto devices = GrantedDevices(pod, registry);
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  auto booking = sched::CollapseUsage(devices->devices, 0);
  EXPECT_EQ(booking.at("GPU-a"), (sched::DeviceBooking{1, 3000, 30}));
  pod.annotations["hami.io/vgpu-devices-allocated"] = "GPU-a,NVIDIA,lots,30:;";
  auto bad = GrantedDevices(pod, registry);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("pod default/p"), std::string::npos);
}

}  // namespace
}  // namespace hami::vendor

namespace hami::vendor {
namespace {

TEST(AdmitPodTest, RuntimeClassOnlyForGpuPodsWithoutOne) {
  auto created = Registry::Create({nlohmann::json{{"nvidia", {{"runtimeClassName", "nvidia"}}}}});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  const Registry& registry = *created;
  model::Pod gpu;
  gpu.containers.push_back(model::testing::MakeContainer("c", {{"nvidia.com/gpu", "1"}}));
  ASSERT_TRUE(*AdmitPod(gpu, registry));
  EXPECT_EQ(gpu.runtime_class_name, "nvidia");
  EXPECT_EQ(gpu.containers[0].limits.at("nvidia.com/gpucores"), "100");
  model::Pod own = gpu;
  own.runtime_class_name = "kata";
  ASSERT_TRUE(*AdmitPod(own, registry));
  EXPECT_EQ(own.runtime_class_name, "kata");
  model::Pod cpu;
  cpu.containers.push_back(model::testing::MakeContainer("c", {{"cpu", "1"}}));
  EXPECT_FALSE(*AdmitPod(cpu, registry));
  EXPECT_EQ(cpu.runtime_class_name, "");
  model::Pod bad;
  bad.name = "b";
  bad.containers.push_back(model::testing::MakeContainer(
      "c", {{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem-percentage", "x"}}));
  auto r = AdmitPod(bad, registry);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("pod default/b"), std::string::npos);
}

}  // namespace
}  // namespace hami::vendor

namespace hami::vendor {
namespace {

// A node registered by two device plugins: NVIDIA and Hygon.
codec::NodeObject MixedNode() {
  codec::NodeObject node;
  node.name = "mixed";
  node.annotations["hami.io/node-nvidia-register"] =
      R"([{"id":"GPU-0","count":10,"devmem":16000,"devcore":100,"type":"NVIDIA-T4","mode":"hami-core","health":true}])";
  node.annotations["hami.io/node-dcu-register"] = "DCU-0,4,65520,100,DCU-K100_AI,0,true:";
  node.allocatable["hygon.com/dcunum"] = "4";
  return node;
}

TEST(ClusterStateTest, HandshakesAreJudgedPerVendor) {
  Registry registry;
  codec::NodeObject node = MixedNode();
  const int64_t now = 1714557600;  // 2024-05-01 10:00:00
  // No handshake yet: a Requesting stamp is owed (NVIDIA has none: its plugin writes health).
  NodeHealth first = JudgeNode(node, registry, now);
  EXPECT_TRUE(first.dead_vendors.empty());
  EXPECT_EQ(first.writes, (std::map<std::string, std::string>{
                              {"hami.io/node-handshake-dcu", "Requesting_2024-05-01 10:00:00"}}));
  // The plugin stopped answering and the node shows no DCU allocatable: DCU is dead.
  node.annotations["hami.io/node-handshake-dcu"] = "Requesting_2024-05-01 09:58:00";
  node.allocatable["hygon.com/dcunum"] = "0";
  NodeHealth stale = JudgeNode(node, registry, now);
  EXPECT_EQ(stale.dead_vendors, std::set<std::string>{"DCU"});
  EXPECT_TRUE(stale.writes.empty());
  auto state = NodeStateFromNode(node, registry, stale.dead_vendors);
  ASSERT_TRUE(state.ok()) << state.error().ToString();
  ASSERT_EQ(state->devices.size(), 2u);
  EXPECT_TRUE(state->devices[0].info.health);   // the NVIDIA GPU
  EXPECT_FALSE(state->devices[1].info.health);  // the DCU, kept but unhealthy
  // Still allocatable: a slow plugin is not dead.
  node.allocatable["hygon.com/dcunum"] = "4";
  EXPECT_TRUE(JudgeNode(node, registry, now).dead_vendors.empty());
}

// One container asking for two vendors on a node both registered: both fitted on that node, and
// bind writes both vendors' annotations.
TEST(ClusterStateTest, OnePodTwoVendorsOnOneNode) {
  Registry registry;
  auto state = NodeStateFromNode(MixedNode(), registry);
  ASSERT_TRUE(state.ok()) << state.error().ToString();
  model::Pod pod;
  pod.name = "both";
  pod.containers.push_back(model::testing::MakeContainer("c", {{"nvidia.com/gpu", "1"},
                                                               {"nvidia.com/gpumem", "1000"},
                                                               {"hygon.com/dcunum", "1"},
                                                               {"hygon.com/dcumem", "2000"}}));
  ASSERT_TRUE(*AdmitPod(pod, registry));
  auto input = BuildPodInput(pod, registry, sched::Policy{});
  ASSERT_TRUE(input.ok()) << input.error().ToString();
  EXPECT_EQ(input->vendors.size(), 2u);
  const sched::NodeState* nodes[] = {&*state};
  sched::Decision decision = sched::Decide(nodes, *input, nullptr);
  ASSERT_TRUE(decision.chosen);
  EXPECT_EQ(decision.devices.at("NVIDIA")[0][0].uuid, "GPU-0");
  EXPECT_EQ(decision.devices.at("DCU")[0][0].uuid, "DCU-0");
  EXPECT_EQ(decision.devices.at("DCU")[0][0].usedmem, 2000);
  std::map<std::string, std::string> written;
  for (const auto& [name, devices] : decision.devices) {
    auto annotations = registry.Find(name)->AllocationAnnotations(
        {pod, "mixed", devices, {}, decision.registered, 0});
    ASSERT_TRUE(annotations.ok()) << annotations.error().ToString();
    written.insert(annotations->begin(), annotations->end());
  }
  EXPECT_EQ(written.at("hami.io/vgpu-devices-allocated"), "GPU-0,NVIDIA,1000,0:;");
  EXPECT_EQ(written.at("hami.io/dcu-devices-allocated"), "DCU-0,DCU,2000,100:;");  // cores 100
  // Read back, both vendors' grants book the node.
  pod.annotations = written;
  auto grants = GrantedDevices(pod, registry);
  ASSERT_TRUE(grants.ok());
  EXPECT_EQ(grants->devices.size(), 2u);
}

}  // namespace
}  // namespace hami::vendor
