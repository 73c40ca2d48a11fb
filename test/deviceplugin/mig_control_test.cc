// Dynamic MIG against the simulated NVML (an A100-40GB in MIG mode): NvmlDeviceSource creates,
// lists and destroys instances; MigManager realizes bookings (creating, reusing after a restart,
// clearing stale instances, refusing one a live pod holds) and reconciles instances of pods gone.
// Its own process: the simulated NVML reads its configuration once per process.
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "deviceplugin/mig_manager.h"
#include "deviceplugin/nvml_device_source.h"

namespace hami::deviceplugin {
namespace {

model::MigAllocation Booking(const std::string& gpu, const std::string& profile, int32_t start,
                             int32_t size, int32_t container = 0) {
  model::MigAllocation b;
  b.container_index = container;
  b.gpu_uuid = gpu;
  b.profile = profile;
  b.placement_start = start;
  b.placement_size = size;
  return b;
}

const MigProfileInfo& Profile(const GpuInfo& gpu, const std::string& name) {
  for (const auto& p : gpu.mig_profiles) {
    if (p.name == name) return p;
  }
  ADD_FAILURE() << "no profile " << name;
  return gpu.mig_profiles.front();
}

class MigControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(HAMI_SIM_LIBDIR "/libnvidia-ml.so.1", R_OK) != 0) GTEST_SKIP() << "no sim NVML";
    char tmpl[] = "/tmp/hami_dp_migctl_XXXXXX";
    dir_ = mkdtemp(tmpl);
    setenv("HAMI_SIM_GPUS", "A100-40GB", 1);
    setenv("HAMI_SIM_MIG", "0", 1);
    setenv("HAMI_SIM_STATE", (dir_ + "/sim.state").c_str(), 1);
    auto source = NvmlDeviceSource::Open(HAMI_SIM_LIBDIR "/libnvidia-ml.so.1");
    ASSERT_TRUE(source.ok()) << source.error().message();
    source_ = std::move(source).value();
    auto gpus = source_->Discover();
    ASSERT_TRUE(gpus.ok());
    ASSERT_EQ(gpus->size(), 1U);
    gpu_ = gpus->front();
    ASSERT_TRUE(gpu_.mig_enabled);
  }
  void TearDown() override {
    source_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::vector<MigInstance> Instances() {
    auto listed = source_->MigInstances(gpu_);
    EXPECT_TRUE(listed.ok()) << listed.error().message();
    return listed.ok() ? *listed : std::vector<MigInstance>{};
  }

  MigManager Manager() {
    MigManagerConfig config;
    config.gpus = [this] { return std::vector<GpuInfo>{gpu_}; };
    config.live_bookings = [this]() -> base::Result<std::vector<model::MigAllocation>> {
      ++live_reads_;
      return live_;
    };
    return MigManager(*source_, config);
  }

  std::string dir_;
  std::unique_ptr<NvmlDeviceSource> source_;
  GpuInfo gpu_;
  std::vector<model::MigAllocation> live_;  // what the API server shows
  int live_reads_ = 0;
};

TEST_F(MigControlTest, CreateListDestroyAndOverlapRefused) {
  auto small = source_->CreateMigInstance(gpu_, Profile(gpu_, "1g.5gb"), {2, 1});
  ASSERT_TRUE(small.ok()) << small.error().message();
  EXPECT_EQ(small->profile, "1g.5gb");
  EXPECT_EQ(small->placement, (model::Placement{2, 1}));
  EXPECT_EQ(small->mig_uuid.rfind("MIG-", 0), 0U) << small->mig_uuid;
  ASSERT_TRUE(small->compute_instance_id.has_value());
  EXPECT_EQ(Instances(), std::vector<MigInstance>{*small});

  auto overlapping = source_->CreateMigInstance(gpu_, Profile(gpu_, "3g.20gb"), {0, 4});
  ASSERT_FALSE(overlapping.ok());
  EXPECT_NE(overlapping.error().message().find("3g.20gb at placement 0+4"), std::string::npos)
      << overlapping.error().message();
  EXPECT_EQ(Instances().size(), 1U) << "a failed create leaves nothing behind";

  ASSERT_TRUE(source_->DestroyMigInstance(gpu_, small->gpu_instance_id).ok());
  EXPECT_TRUE(Instances().empty());
  EXPECT_TRUE(source_->DestroyMigInstance(gpu_, small->gpu_instance_id).ok()) << "already gone";
}

TEST_F(MigControlTest, RealizeCreatesThenReusesAcrossARestart) {
  const auto booking = Booking(gpu_.uuid, "2g.10gb", 2, 2);
  live_ = {booking};
  std::string uuid;
  {
    MigManager first = Manager();
    auto realized = first.Realize({booking});
    ASSERT_TRUE(realized.ok()) << realized.error().message();
    uuid = (*realized)[0].mig_uuid;
    EXPECT_EQ((*realized)[0].placement, (model::Placement{2, 2}));
  }
  MigManager restarted = Manager();  // a new process: nothing remembered
  auto again = restarted.Realize({booking});
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ((*again)[0].mig_uuid, uuid) << "reused, not created twice";
  EXPECT_EQ(Instances().size(), 1U);
  EXPECT_EQ(live_reads_, 0) << "nothing in the way: no pod list needed";
  EXPECT_TRUE(restarted.Reconcile().empty()) << "booked by a live pod";
  EXPECT_EQ(Instances().size(), 1U);
}

TEST_F(MigControlTest, StaleInstancesInTheWayAreDestroyedHeldOnesRefuse) {
  auto stale = source_->CreateMigInstance(gpu_, Profile(gpu_, "1g.5gb"), {0, 1});
  ASSERT_TRUE(stale.ok());
  MigManager manager = Manager();
  const auto want = Booking(gpu_.uuid, "3g.20gb", 0, 4);
  live_ = {want};  // the 1g.5gb's pod is gone
  auto realized = manager.Realize({want});
  ASSERT_TRUE(realized.ok()) << realized.error().message();
  ASSERT_EQ(Instances().size(), 1U);
  EXPECT_EQ(Instances()[0].profile, "3g.20gb");

  // A live pod holds the 3g.20gb: a booking overlapping it is refused, nothing is destroyed.
  const auto other = Booking(gpu_.uuid, "1g.5gb", 1, 1);
  live_ = {want, other};
  auto refused = manager.Realize({other});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("held by another pod"), std::string::npos)
      << refused.error().message();
  EXPECT_EQ(Instances()[0].mig_uuid, (*realized)[0].mig_uuid);
}

TEST_F(MigControlTest, ReconcileDestroysOnlyWhatNoLivePodBooks) {
  MigManager manager = Manager();
  const auto kept = Booking(gpu_.uuid, "1g.5gb", 0, 1);
  const auto gone = Booking(gpu_.uuid, "1g.5gb", 1, 1);
  live_ = {kept, gone};
  ASSERT_TRUE(manager.Realize({kept, gone}).ok());
  ASSERT_EQ(Instances().size(), 2U);
  live_ = {kept};  // the second pod was deleted
  auto destroyed = manager.Reconcile();
  ASSERT_EQ(destroyed.size(), 1U);
  EXPECT_EQ(destroyed[0].placement, (model::Placement{1, 1}));
  ASSERT_EQ(Instances().size(), 1U);
  EXPECT_EQ(Instances()[0].placement, (model::Placement{0, 1}));
}

}  // namespace
}  // namespace hami::deviceplugin
