// NvmlDeviceSource against the simulated NVML with a GPU in MIG mode: the GPU-instance profiles and
// placements it reports (the register annotation's migProfiles are built from these). Its own
// process: the simulated NVML reads its configuration once per process.
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "deviceplugin/nvml_device_source.h"
#include "model/device.h"

namespace hami {
namespace {

TEST(NvmlMigDiscoveryTest, ProfilesAndPlacementsOfAMigModeA100) {
  if (access(HAMI_SIM_LIBDIR "/libnvidia-ml.so.1", R_OK) != 0) GTEST_SKIP() << "no simulated NVML";
  char tmpl[] = "/tmp/hami_dp_mig_XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  setenv("HAMI_SIM_GPUS", "A100-40GB,T4-16GB", 1);
  setenv("HAMI_SIM_MIG", "0", 1);
  setenv("HAMI_SIM_STATE", (dir + "/sim.state").c_str(), 1);
  auto source = deviceplugin::NvmlDeviceSource::Open(HAMI_SIM_LIBDIR "/libnvidia-ml.so.1");
  ASSERT_TRUE(source.ok()) << source.error().message();
  auto gpus = (*source)->Discover();
  ASSERT_TRUE(gpus.ok()) << gpus.error().message();
  ASSERT_EQ(gpus->size(), 2U);
  const auto& a100 = (*gpus)[0];
  EXPECT_TRUE(a100.mig_enabled);
  std::map<std::string, deviceplugin::MigProfileInfo> by_name;
  for (const auto& p : a100.mig_profiles) by_name[p.name] = p;
  EXPECT_EQ(by_name.size(), 7U);
  ASSERT_TRUE(by_name.count("1g.5gb"));
  const auto& small = by_name["1g.5gb"];
  EXPECT_EQ(small.profile_id, 19U);
  EXPECT_EQ(small.instance_count, 7);
  EXPECT_EQ(small.slice_count, 1);
  EXPECT_EQ(small.sms, 14);
  EXPECT_EQ(small.memory_mib, 4864);
  EXPECT_EQ(small.placements.size(), 7U);
  ASSERT_TRUE(by_name.count("3g.20gb"));
  const auto& half = by_name["3g.20gb"];
  EXPECT_EQ(half.profile_id, 9U);
  EXPECT_EQ(half.placements, (std::vector<model::Placement>{{0, 4}, {4, 4}}));
  ASSERT_TRUE(by_name.count("7g.40gb"));
  EXPECT_EQ(by_name["7g.40gb"].placements, (std::vector<model::Placement>{{0, 8}}));
  EXPECT_FALSE((*gpus)[1].mig_enabled) << "a T4 has no MIG";
  EXPECT_TRUE((*gpus)[1].mig_profiles.empty());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hami
