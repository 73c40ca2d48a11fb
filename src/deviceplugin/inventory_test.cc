// Inventory -> registration annotation (golden strings), replica IDs, topology scores.
#include "deviceplugin/inventory.h"

#include <gtest/gtest.h>

#include "codec/node_register.h"
#include "codec/topology_score.h"

namespace hami::deviceplugin {
namespace {

GpuInfo Gpu(int32_t index, std::string uuid, std::string name, int64_t mib, int32_t numa = 0) {
  GpuInfo g;
  g.index = index;
  g.uuid = std::move(uuid);
  g.name = std::move(name);
  g.memory_mib = mib;
  g.numa = numa;
  return g;
}

PluginConfig Config() {
  PluginConfig c;
  c.node_name = "n";
  return c;
}

TEST(InventoryTest, RegisterAnnotationGolden) {
  std::vector<GpuInfo> gpus = {Gpu(0, "GPU-aaa", "Tesla V100-PCIE-32GB", 32768),
                               Gpu(1, "GPU-bbb", "NVIDIA A100-SXM4-40GB", 40960, 1)};
  Inventory inv = BuildInventory(gpus, Config());
  EXPECT_TRUE(inv.skipped.empty());
  EXPECT_EQ(codec::EncodeNodeDevicesJson(inv.devices),
            R"([{"id":"GPU-aaa","count":10,"devmem":32768,"devcore":100,)"
            R"("type":"NVIDIA-Tesla V100-PCIE-32GB","mode":"hami-core","health":true},)"
            R"({"id":"GPU-bbb","index":1,"count":10,"devmem":40960,"devcore":100,)"
            R"("type":"NVIDIA A100-SXM4-40GB","numa":1,"mode":"hami-core","health":true}])");
}

TEST(InventoryTest, ScalingSplitHealthAndMode) {
  PluginConfig c = Config();
  c.split_count = 4;
  c.memory_scaling = 1.5;
  c.core_scaling = 2;
  c.operating_mode = "mps";
  GpuInfo g = Gpu(2, "GPU-c", "Tesla T4", 15360, -1);
  g.healthy = false;
  Inventory inv = BuildInventory({g}, c);
  ASSERT_EQ(inv.devices.size(), 1u);
  EXPECT_EQ(codec::EncodeNodeDevicesJson(inv.devices),
            R"([{"id":"GPU-c","index":2,"count":4,"devmem":23040,"devcore":200,)"
            R"("type":"NVIDIA-Tesla T4","mode":"mps"}])");
}

TEST(InventoryTest, SkipsFilteredMigAndUnknownMemory) {
  PluginConfig c = Config();
  c.filter_uuids = {"GPU-f1"};
  c.filter_indices = {1};
  GpuInfo mig = Gpu(2, "GPU-mig", "NVIDIA A100", 40960);
  mig.mig_enabled = true;
  GpuInfo nomem = Gpu(3, "GPU-nomem", "NVIDIA X", 0);
  nomem.memory_mib.reset();
  Inventory inv = BuildInventory(
      {Gpu(0, "GPU-f1", "T4", 1), Gpu(1, "GPU-f2", "T4", 1), mig, nomem, Gpu(4, "GPU-ok", "T4", 8)},
      c);
  ASSERT_EQ(inv.devices.size(), 1u);
  EXPECT_EQ(inv.devices[0].id, "GPU-ok");
  EXPECT_EQ(inv.skipped.size(), 4u);

  c.preconfigured_memory_mib = 2048;
  inv = BuildInventory({nomem}, c);
  ASSERT_EQ(inv.devices.size(), 1u);
  EXPECT_EQ(inv.devices[0].devmem, 2048);

  c.operating_mode = "mig";
  EXPECT_TRUE(BuildInventory({Gpu(0, "GPU-x", "A100", 1)}, c).devices.empty());
}

TEST(InventoryTest, TypePrefix) {
  EXPECT_EQ(RegisteredType("Tesla T4"), "NVIDIA-Tesla T4");
  EXPECT_EQ(RegisteredType("NVIDIA A10"), "NVIDIA A10");
  EXPECT_EQ(RegisteredType("NVIDIA-H100"), "NVIDIA-H100");
}

TEST(InventoryTest, ReplicaIdsPerSplitCount) {
  Inventory inv = BuildInventory({Gpu(0, "GPU-a", "T4", 1), Gpu(1, "GPU-b", "T4", 1, 1)}, [] {
    PluginConfig c = Config();
    c.split_count = 3;
    return c;
  }());
  inv.devices[1].health = false;
  auto replicas = ReplicaDevices(inv.devices);
  std::vector<ReplicaDevice> want = {
      {"GPU-a-0", "GPU-a", true, 0},  {"GPU-a-1", "GPU-a", true, 0},
      {"GPU-a-2", "GPU-a", true, 0},  {"GPU-b-0", "GPU-b", false, 1},
      {"GPU-b-1", "GPU-b", false, 1}, {"GPU-b-2", "GPU-b", false, 1}};
  EXPECT_EQ(replicas, want);
}

TEST(InventoryTest, PairScores) {
  struct Case {
    std::optional<TopologyLevel> level;
    int32_t nvlinks;
    int32_t want;
  } cases[] = {{TopologyLevel::kSystem, 0, 10},     {TopologyLevel::kNode, 0, 20},
               {TopologyLevel::kHostBridge, 0, 30}, {TopologyLevel::kMultiple, 0, 40},
               {TopologyLevel::kSingle, 0, 50},     {TopologyLevel::kInternal, 0, 60},
               {TopologyLevel::kSystem, 2, 210},    {std::nullopt, 4, 400}};
  for (const auto& c : cases) EXPECT_EQ(PairScore(c.level, c.nvlinks), c.want);
}

TEST(InventoryTest, TopologyScoresFromLinksElseNuma) {
  std::map<std::pair<std::string, std::string>, PairLink> links;
  links[{"GPU-a", "GPU-b"}] = {TopologyLevel::kSingle, 0};
  links[{"GPU-b", "GPU-a"}] = {TopologyLevel::kSingle, 0};
  auto scores = TopologyScoresFor({"GPU-a", "GPU-b", "GPU-c"},
                                  {{"GPU-a", 0}, {"GPU-b", 0}, {"GPU-c", 1}}, links);
  EXPECT_EQ(codec::EncodeTopologyScores(scores),
            R"([{"uuid":"GPU-a","score":{"GPU-b":50,"GPU-c":10}},)"
            R"({"uuid":"GPU-b","score":{"GPU-a":50,"GPU-c":10}},)"
            R"({"uuid":"GPU-c","score":{"GPU-a":10,"GPU-b":10}}])");
}

}  // namespace
}  // namespace hami::deviceplugin
