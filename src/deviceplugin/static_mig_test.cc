// Static MIG strategies (migStrategy none | mixed | single) on pre-created MIG devices: the
// inventory and kubelet devices per strategy, the single-strategy consistency error, and the
// Allocate responses (mixed: PlanStaticMigAllocate; single: PlanAllocate of MIG entries).
#include <gtest/gtest.h>

#include "codec/node_register.h"
#include "deviceplugin/allocate.h"
#include "deviceplugin/inventory.h"
#include "deviceplugin/plugin_server.h"
#include "model/pod_test_util.h"

namespace hami::deviceplugin {
namespace {

GpuInfo Gpu(int32_t index, std::string uuid, int64_t mib) {
  GpuInfo g;
  g.index = index;
  g.uuid = std::move(uuid);
  g.name = "NVIDIA A100-SXM4-40GB";
  g.memory_mib = mib;
  return g;
}

GpuInfo MigGpu(int32_t index, std::string uuid, std::vector<MigDeviceInfo> devices) {
  GpuInfo g = Gpu(index, std::move(uuid), 40960);
  g.mig_enabled = true;
  g.mig_devices = std::move(devices);
  return g;
}

PluginConfig Config(const std::string& strategy, const std::string& mode = "hami-core") {
  PluginConfig c;
  c.node_name = "n";
  c.mig_strategy = strategy;
  c.operating_mode = mode;
  return c;
}

// A node with one whole GPU and two MIG-enabled ones.
std::vector<GpuInfo> Node() {
  return {Gpu(0, "GPU-whole", 40960),
          MigGpu(1, "GPU-m1", {{"MIG-a", "1g.5gb", 4864}, {"MIG-b", "2g.10gb", 9856}}),
          MigGpu(2, "GPU-m2", {{"MIG-c", "1g.5gb", 4864}})};
}

TEST(StaticMigInventoryTest, NoneSkipsMigGpus) {
  Inventory inv = BuildInventory(Node(), Config("none"));
  ASSERT_EQ(inv.devices.size(), 1U);
  EXPECT_EQ(inv.devices[0].id, "GPU-whole");
  EXPECT_TRUE(inv.mig_resources.empty());
  ASSERT_EQ(inv.skipped.size(), 2U);
  EXPECT_NE(inv.skipped[0].reason.find("MIG mode is enabled"), std::string::npos);
}

TEST(StaticMigInventoryTest, MixedServesEachProfileAsItsResource) {
  auto gpus = Node();
  gpus[2].healthy = false;
  Inventory inv = BuildInventory(gpus, Config("mixed"));
  ASSERT_EQ(inv.devices.size(), 1U) << "the whole GPU stays a vGPU under nvidia.com/gpu";
  EXPECT_EQ(inv.devices[0].id, "GPU-whole");
  EXPECT_EQ(inv.devices[0].count, 10);
  ASSERT_EQ(inv.mig_resources.size(), 2U);
  const auto& small = inv.mig_resources.at("nvidia.com/mig-1g.5gb");
  ASSERT_EQ(small.size(), 2U);
  EXPECT_EQ(small[0].id, "MIG-a");
  EXPECT_TRUE(small[0].health);
  EXPECT_EQ(small[1].id, "MIG-c");
  EXPECT_FALSE(small[1].health) << "a MIG device is unhealthy when its parent GPU is";
  ASSERT_EQ(inv.mig_resources.at("nvidia.com/mig-2g.10gb").size(), 1U);

  // The kubelet sees each MIG device once, by its UUID.
  auto replicas = ReplicaDevices(small);
  ASSERT_EQ(replicas.size(), 2U);
  EXPECT_EQ(replicas[0], (ReplicaDevice{"MIG-a", "MIG-a", true, 0}));
  EXPECT_EQ(replicas[1].id, "MIG-c");
  EXPECT_FALSE(replicas[1].healthy);
}

TEST(StaticMigInventoryTest, MixedSkipsMigGpuWithoutDevices) {
  Inventory inv = BuildInventory({MigGpu(0, "GPU-m", {})}, Config("mixed"));
  EXPECT_TRUE(inv.devices.empty());
  EXPECT_TRUE(inv.mig_resources.empty());
  ASSERT_EQ(inv.skipped.size(), 1U);
  EXPECT_NE(inv.skipped[0].reason.find("no MIG device exists"), std::string::npos);
}

TEST(StaticMigInventoryTest, SingleRegistersEachMigDeviceAsAWholeGpu) {
  std::vector<GpuInfo> gpus = {
      Gpu(0, "GPU-whole", 40960),
      MigGpu(1, "GPU-m1", {{"MIG-a", "3g.20gb", 19968}, {"MIG-b", "3g.20gb", 19968}})};
  ASSERT_TRUE(CheckSingleMigStrategy(gpus, Config("single")).ok());
  Inventory inv = BuildInventory(gpus, Config("single"));
  EXPECT_TRUE(inv.mig_resources.empty());
  EXPECT_EQ(codec::EncodeNodeDevicesJson(inv.devices),
            R"([{"id":"GPU-whole","count":10,"devmem":40960,"devcore":100,)"
            R"("type":"NVIDIA A100-SXM4-40GB","mode":"hami-core","health":true},)"
            R"({"id":"MIG-a","index":1,"count":1,"devmem":19968,"devcore":100,)"
            R"("type":"NVIDIA A100-SXM4-40GB-MIG-3g.20gb","mode":"hami-core","health":true},)"
            R"({"id":"MIG-b","index":1,"count":1,"devmem":19968,"devcore":100,)"
            R"("type":"NVIDIA A100-SXM4-40GB-MIG-3g.20gb","mode":"hami-core","health":true}])");
  auto replicas = ReplicaDevices(inv.devices);
  ASSERT_EQ(replicas.size(), 12U);
  EXPECT_EQ(replicas[10].id, "MIG-a") << "one kubelet device per MIG device, unreplicated";
  EXPECT_EQ(replicas[11].id, "MIG-b");
}

TEST(StaticMigInventoryTest, SingleRefusesSeveralProfiles) {
  auto status = CheckSingleMigStrategy(Node(), Config("single"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), base::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "migStrategy single needs MIG devices of one profile on every MIG-enabled GPU; found "
            "GPU-m1 (index 1): 1g.5gb,2g.10gb; GPU-m2 (index 2): 1g.5gb (use migStrategy mixed, "
            "or re-partition the GPUs)");
  // Across GPUs too, and a filtered GPU does not count.
  std::vector<GpuInfo> two = {MigGpu(0, "GPU-x", {{"MIG-a", "1g.5gb", 4864}}),
                              MigGpu(1, "GPU-y", {{"MIG-b", "7g.40gb", 40192}})};
  EXPECT_FALSE(CheckSingleMigStrategy(two, Config("single")).ok());
  PluginConfig filtered = Config("single");
  filtered.filter_uuids = {"GPU-y"};
  EXPECT_TRUE(CheckSingleMigStrategy(two, filtered).ok());
}

TEST(StaticMigInventoryTest, ModeMigIgnoresTheStrategy) {
  EXPECT_EQ(EffectiveMigStrategy(Config("mixed", "mig")), "none");
  EXPECT_EQ(EffectiveMigStrategy(Config("mixed", "mps")), "mixed");
  GpuInfo gpu = MigGpu(0, "GPU-m", {{"MIG-a", "1g.5gb", 4864}});
  gpu.mig_profiles = {{"1g.5gb", 19, 1, 7, 14, 4864, {{0, 1}}}};
  Inventory inv = BuildInventory({gpu}, Config("mixed", "mig"));
  EXPECT_TRUE(inv.mig_resources.empty());
  ASSERT_EQ(inv.devices.size(), 1U);
  EXPECT_EQ(inv.devices[0].mode, "mig") << "dynamic MIG registration as before";
}

TEST(StaticMigAllocateTest, MixedReturnsTheMigUuids) {
  auto plan = PlanStaticMigAllocate({{"MIG-a"}, {"MIG-b", "MIG-c"}}, {"MIG-a", "MIG-b", "MIG-c"});
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  ASSERT_EQ(plan->size(), 2U);
  EXPECT_EQ((*plan)[0].envs,
            (std::map<std::string, std::string>{{"NVIDIA_VISIBLE_DEVICES", "MIG-a"}}));
  EXPECT_EQ((*plan)[1].envs,
            (std::map<std::string, std::string>{{"NVIDIA_VISIBLE_DEVICES", "MIG-b,MIG-c"}}));
  EXPECT_TRUE((*plan)[1].mounts.empty()) << "no libvgpu: MIG isolates in hardware";
  EXPECT_TRUE((*plan)[1].host_dir.empty());

  auto unknown = PlanStaticMigAllocate({{"MIG-a"}, {"MIG-z"}}, {"MIG-a"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("unknown MIG device MIG-z"), std::string::npos);
}

model::Pod PodWith(const std::string& to_allocate) {
  model::Pod pod;
  pod.name = "p";
  pod.uid = "uid-1";
  pod.annotations["hami.io/vgpu-devices-to-allocate"] = to_allocate;
  pod.containers.push_back(model::testing::MakeContainer("c", {}));
  return pod;
}

TEST(StaticMigAllocateTest, SingleEntryGetsOnlyItsMigUuid) {
  AllocateSettings settings;
  settings.host_vgpu_dir = "/h/vgpu";
  auto cache = [] { return std::string("cache"); };
  auto plan = PlanAllocate(PodWith("MIG-a,NVIDIA,19968,100:;"), {{"MIG-a"}}, settings, {}, cache);
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  const auto& c = plan->containers[0];
  EXPECT_EQ(c.envs, (std::map<std::string, std::string>{{"NVIDIA_VISIBLE_DEVICES", "MIG-a"}}));
  EXPECT_TRUE(c.mounts.empty());
  EXPECT_TRUE(c.host_dir.empty()) << "no shared region: libvgpu is not loaded";
  EXPECT_TRUE(plan->all_allocated);
  EXPECT_EQ(plan->remaining_to_allocate, ";");

  auto mixed = PlanAllocate(PodWith("MIG-a,NVIDIA,19968,100:GPU-b,NVIDIA,1000,10:;"),
                            {{"MIG-a", "GPU-b-0"}}, settings, {}, cache);
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.error().message().find("MIG devices and whole GPUs in one container"),
            std::string::npos);
}

TEST(StaticMigAllocateTest, EndpointPerResource) {
  EXPECT_EQ(EndpointFor("nvidia.com/mig-1g.5gb"), "nvidia-mig-1g.5gb.sock");
  EXPECT_EQ(EndpointFor("nvidia.com/gpu"), "nvidia-gpu.sock");
}

}  // namespace
}  // namespace hami::deviceplugin
