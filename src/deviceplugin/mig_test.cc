// mig.h: the allowlist, the registered profile, and realize/reconcile decisions.
#include "deviceplugin/mig.h"

#include <gtest/gtest.h>

#include "codec/node_register.h"
#include "deviceplugin/inventory.h"

namespace hami::deviceplugin {
namespace {

MigProfileInfo Profile(std::string name, int32_t slices, int32_t count, int32_t sms, int64_t mib,
                       std::vector<model::Placement> placements) {
  MigProfileInfo p;
  p.name = std::move(name);
  p.slice_count = slices;
  p.instance_count = count;
  p.sms = sms;
  p.memory_mib = mib;
  p.placements = std::move(placements);
  return p;
}

GpuInfo MigA100() {
  GpuInfo g;
  g.index = 1;
  g.uuid = "GPU-a100";
  g.name = "NVIDIA A100-SXM4-40GB";
  g.memory_mib = 40960;
  g.mig_enabled = true;
  g.mig_profiles = {Profile("1g.5gb", 1, 7, 14, 4864, {{0, 1}, {1, 1}, {2, 1}}),
                    Profile("3g.20gb", 3, 2, 42, 19968, {{0, 4}, {4, 4}}),
                    Profile("7g.40gb", 7, 1, 98, 40192, {{0, 8}})};
  return g;
}

MigInstance Instance(std::string profile, int32_t start, int32_t size, uint32_t gi) {
  MigInstance i;
  i.gpu_uuid = "GPU-a100";
  i.profile = std::move(profile);
  i.placement = {start, size};
  i.gpu_instance_id = gi;
  i.compute_instance_id = 0;
  i.mig_uuid = "MIG-" + std::to_string(gi);
  return i;
}

model::MigAllocation Booking(std::string profile, int32_t start, int32_t size) {
  model::MigAllocation b;
  b.gpu_uuid = "GPU-a100";
  b.profile = std::move(profile);
  b.placement_start = start;
  b.placement_size = size;
  return b;
}

std::vector<std::string> Names(const std::vector<MigProfileInfo>& profiles) {
  std::vector<std::string> out;
  out.reserve(profiles.size());
  for (const auto& p : profiles) out.push_back(p.name);
  return out;
}

TEST(MigTest, AllowlistByModelSubstring) {
  const GpuInfo gpu = MigA100();
  EXPECT_EQ(Names(AllowedMigProfiles(gpu, {})),
            (std::vector<std::string>{"1g.5gb", "3g.20gb", "7g.40gb"}))
      << "no allowlist: every profile";
  EXPECT_EQ(Names(AllowedMigProfiles(
                gpu, {{{"a100-sxm4-40"}, {"3g.20gb", "1g.5gb"}}, {{"H100"}, {"7g.40gb"}}})),
            (std::vector<std::string>{"1g.5gb", "3g.20gb"}))
      << "case-insensitive model match, NVML's order kept";
  EXPECT_TRUE(AllowedMigProfiles(gpu, {{{"A30"}, {"1g.6gb"}}}).empty())
      << "a list naming other models allows nothing here";
}

TEST(MigTest, RegisteredProfileCoreIsTheShareOfTheGpusSms) {
  const GpuInfo gpu = MigA100();
  model::Partition p = RegisteredMigProfile(gpu.mig_profiles[0], 98);
  EXPECT_EQ(p.name, "1g.5gb");
  EXPECT_EQ(p.core, 15);  // ceil(14 * 100 / 98)
  EXPECT_EQ(p.memory_mib, 4864);
  EXPECT_EQ(p.slices, 1);
  EXPECT_EQ(RegisteredMigProfile(gpu.mig_profiles[2], 98).core, 100);
}

TEST(MigTest, MigModeInventoryRegistersAllowedProfiles) {
  PluginConfig config;
  config.operating_mode = model::kModeMig;
  config.memory_scaling = 2;  // ignored in mig mode
  config.mig_profile_allowlist = {{{"A100"}, {"1g.5gb", "3g.20gb"}}};
  GpuInfo plain = MigA100();
  plain.uuid = "GPU-plain";
  plain.mig_enabled = false;
  GpuInfo other = MigA100();
  other.uuid = "GPU-h100";
  other.name = "NVIDIA H100 80GB HBM3";
  Inventory inv = BuildInventory({MigA100(), plain, other}, config);
  ASSERT_EQ(inv.devices.size(), 1U);
  const auto& d = inv.devices[0];
  EXPECT_EQ(d.mode, "mig");
  EXPECT_EQ(d.devmem, 40960);
  EXPECT_EQ(d.devcore, 100);
  EXPECT_EQ(d.count, 7);
  ASSERT_EQ(d.partitions.size(), 2U);
  EXPECT_EQ(codec::EncodeNodeDevicesJson(inv.devices),
            R"([{"id":"GPU-a100","index":1,"count":7,"devmem":40960,"devcore":100,)"
            R"("type":"NVIDIA A100-SXM4-40GB","mode":"mig","migProfiles":[)"
            R"({"name":"1g.5gb","memoryMB":4864,"core":15,"sliceCount":1,"placements":)"
            R"([{"start":0,"size":1},{"start":1,"size":1},{"start":2,"size":1}]},)"
            R"({"name":"3g.20gb","memoryMB":19968,"core":43,"sliceCount":3,"placements":)"
            R"([{"start":0,"size":4},{"start":4,"size":4}]}],"health":true}])");
  ASSERT_EQ(inv.skipped.size(), 2U);
  EXPECT_NE(inv.skipped[0].reason.find("MIG mode is off"), std::string::npos);
  EXPECT_NE(inv.skipped[1].reason.find("migProfileAllowlist"), std::string::npos);
}

TEST(MigTest, RealizeReusesExactClearsStaleRefusesHeld) {
  const auto want = Booking("3g.20gb", 0, 4);
  const std::vector<MigInstance> on_gpu = {Instance("3g.20gb", 0, 4, 1),
                                           Instance("1g.5gb", 4, 1, 9)};
  MigRealizePlan exact = PlanMigRealize(want, on_gpu, {});
  ASSERT_TRUE(exact.reuse.has_value());
  EXPECT_EQ(exact.reuse->gpu_instance_id, 1U);
  EXPECT_TRUE(exact.destroy_first.empty());

  const std::vector<MigInstance> stale = {Instance("1g.5gb", 1, 1, 7), Instance("1g.5gb", 5, 1, 8)};
  MigRealizePlan clear = PlanMigRealize(want, stale, {want});
  EXPECT_FALSE(clear.reuse.has_value());
  ASSERT_EQ(clear.destroy_first.size(), 1U) << "only the overlapping one";
  EXPECT_EQ(clear.destroy_first[0].gpu_instance_id, 7U);

  MigRealizePlan held = PlanMigRealize(want, stale, {want, Booking("1g.5gb", 1, 1)});
  ASSERT_EQ(held.blocked_by.size(), 1U);
  EXPECT_TRUE(held.destroy_first.empty());
}

TEST(MigTest, UnbookedAndRecordRealized) {
  const std::vector<MigInstance> instances = {Instance("1g.5gb", 0, 1, 7),
                                              Instance("1g.5gb", 1, 1, 8)};
  auto unbooked = UnbookedMigInstances(instances, {Booking("1g.5gb", 1, 1)});
  ASSERT_EQ(unbooked.size(), 1U);
  EXPECT_EQ(unbooked[0].gpu_instance_id, 7U);
  EXPECT_EQ(UnbookedMigInstances(instances, {Booking("2g.10gb", 0, 2)}).size(), 2U)
      << "another profile at an overlapping place is not a match";

  std::vector<model::MigAllocation> entries = {Booking("1g.5gb", 0, 1), Booking("1g.5gb", 1, 1)};
  RecordRealized(entries, entries[1], instances[1]);
  EXPECT_EQ(entries[1].mig_uuid, "MIG-8");
  EXPECT_EQ(entries[1].gpu_instance_id, 8);
  EXPECT_EQ(entries[1].compute_instance_id, 0);
  EXPECT_EQ(entries[0].mig_uuid, "") << "the other entry untouched";
}

}  // namespace
}  // namespace hami::deviceplugin
