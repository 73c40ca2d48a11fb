#include "vendor/cluster_state.h"

#include <gtest/gtest.h>

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
  gpu.containers.push_back({"c", {{"nvidia.com/gpu", "1"}}, {}, false, {}});
  ASSERT_TRUE(*AdmitPod(gpu, registry));
  EXPECT_EQ(gpu.runtime_class_name, "nvidia");
  EXPECT_EQ(gpu.containers[0].limits.at("nvidia.com/gpucores"), "100");
  model::Pod own = gpu;
  own.runtime_class_name = "kata";
  ASSERT_TRUE(*AdmitPod(own, registry));
  EXPECT_EQ(own.runtime_class_name, "kata");
  model::Pod cpu;
  cpu.containers.push_back({"c", {{"cpu", "1"}}, {}, false, {}});
  EXPECT_FALSE(*AdmitPod(cpu, registry));
  EXPECT_EQ(cpu.runtime_class_name, "");
  model::Pod bad;
  bad.name = "b";
  bad.containers.push_back({"c", {{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem-percentage", "x"}}, {}, false, {}});
  auto r = AdmitPod(bad, registry);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("pod default/b"), std::string::npos);
}

}  // namespace
}  // namespace hami::vendor
