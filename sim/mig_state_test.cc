// SharedState's MIG tables: mode, instances, the memory of processes bound to a MIG device, and
// recovery from processes that die (holding memory, or holding the MIG mutex mid-update).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "sim/shared_state.h"
#include "sim/shared_state_test_fixture.h"

namespace hami::sim {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

// GPU 0 (an A100 40 GB, like GPU 1; GPU 2 is a T4) starts in MIG mode unless a test says otherwise.
class MigStateTest : public SharedStateFileTest {
 protected:
  MigStateTest() : SharedStateFileTest("A100-40GB,A100-40GB,T4-16GB", /*mig_enabled=*/0b1) {}
  void SetUp() override {
    SharedStateFileTest::SetUp();
    model_ = FindMigModel(gpus_[0]);
    ASSERT_NE(model_, nullptr);
  }

  const GiProfile& Gi(unsigned id) { return *GiProfileById(*model_, id); }
  CiProfile FullCi(unsigned gi_profile_id) {
    const GiProfile& gi = Gi(gi_profile_id);
    for (unsigned c = 0; c < NVML_COMPUTE_INSTANCE_PROFILE_COUNT; ++c) {
      auto ci = ComputeInstanceProfile(gi, c);
      if (ci && ci->slices == gi.slices) return *ci;
    }
    ADD_FAILURE() << "no full compute instance";
    return {};
  }

  const MigModel* model_ = nullptr;
};

TEST_F(MigStateTest, ModeStartsFromTheMaskAndPersists) {
  auto state = Open(0b10);
  EXPECT_EQ(state->MigMode(0).current, static_cast<unsigned>(NVML_DEVICE_MIG_DISABLE));
  EXPECT_EQ(state->MigMode(1).current, static_cast<unsigned>(NVML_DEVICE_MIG_ENABLE));
  EXPECT_EQ(state->MigMode(1).pending, static_cast<unsigned>(NVML_DEVICE_MIG_ENABLE));
  EXPECT_EQ(state->SetMigMode(0, NVML_DEVICE_MIG_ENABLE), NVML_SUCCESS);
  auto again = Open(0);  // the file exists: the mask does not apply, the modes persist
  EXPECT_EQ(again->MigMode(0).current, static_cast<unsigned>(NVML_DEVICE_MIG_ENABLE));
  EXPECT_EQ(again->MigMode(1).current, static_cast<unsigned>(NVML_DEVICE_MIG_ENABLE));
}

TEST_F(MigStateTest, ModeChangeWaitsWhileTheGpuIsUsed) {
  auto state = Open(0);
  int slot = state->ClaimSlot(getpid());
  ASSERT_TRUE(state->Reserve(slot, 0, kMiB));
  EXPECT_EQ(state->SetMigMode(0, NVML_DEVICE_MIG_ENABLE), NVML_ERROR_IN_USE);
  EXPECT_EQ(state->MigMode(0).current, static_cast<unsigned>(NVML_DEVICE_MIG_DISABLE));
  EXPECT_EQ(state->MigMode(0).pending, static_cast<unsigned>(NVML_DEVICE_MIG_ENABLE));
  EXPECT_EQ(state->SetMigMode(1, NVML_DEVICE_MIG_ENABLE), NVML_SUCCESS);  // another GPU
  state->Unreserve(slot, 0, kMiB);
  state->AddContext(slot, 0, 1);
  EXPECT_EQ(state->SetMigMode(0, NVML_DEVICE_MIG_ENABLE), NVML_ERROR_IN_USE);
  state->ReleaseSlot(slot);
  EXPECT_EQ(state->SetMigMode(0, NVML_DEVICE_MIG_ENABLE), NVML_SUCCESS);
  EXPECT_EQ(state->MigMode(0).current, static_cast<unsigned>(NVML_DEVICE_MIG_ENABLE));
}

TEST_F(MigStateTest, GpuInstancesAreRefusedWhenTheyOverlapOrExceedTheCount) {
  auto state = Open();
  unsigned id = 99;
  EXPECT_EQ(state->CreateGpuInstance(1, *model_, Gi(19), std::nullopt, &id),
            NVML_ERROR_NOT_SUPPORTED);  // GPU 1 is not in MIG mode
  ASSERT_EQ(state->CreateGpuInstance(0, *model_, Gi(19), std::nullopt, &id), NVML_SUCCESS);
  EXPECT_EQ(id, 7u);
  ASSERT_EQ(state->CreateGpuInstance(0, *model_, Gi(9), std::nullopt, &id), NVML_SUCCESS);
  EXPECT_EQ(id, 2u);  // the first free 3g placement is {4}:4
  EXPECT_EQ(state->CreateGpuInstance(0, *model_, Gi(9), MigPlacement{0, 4}, &id),
            NVML_ERROR_INSUFFICIENT_RESOURCES);  // overlaps the 1g at 0
  EXPECT_EQ(state->CreateGpuInstance(0, *model_, Gi(20), MigPlacement{1, 1}, &id), NVML_SUCCESS);
  EXPECT_EQ(id, 8u);
  EXPECT_EQ(state->CreateGpuInstance(0, *model_, Gi(20), MigPlacement{2, 1}, &id),
            NVML_ERROR_INSUFFICIENT_RESOURCES);  // one 1g.5gb+me at most
  auto gis = state->GpuInstances(0);
  ASSERT_EQ(gis.size(), 3u);
  EXPECT_EQ(gis[0].id, 2u);
  EXPECT_EQ(gis[0].placement, (MigPlacement{4, 4}));
  EXPECT_EQ(gis[0].memory_bytes, 19968 * kMiB);
  EXPECT_EQ(gis[2].profile_id, 20u);
  EXPECT_EQ(state->DestroyGpuInstance(0, 3), NVML_ERROR_NOT_FOUND);
  EXPECT_EQ(state->DestroyGpuInstance(0, 8), NVML_SUCCESS);
  EXPECT_EQ(state->GpuInstances(0).size(), 2u);
  // Disabling MIG waits for the instances to go.
  EXPECT_EQ(state->SetMigMode(0, NVML_DEVICE_MIG_DISABLE), NVML_ERROR_IN_USE);
  EXPECT_EQ(state->MigMode(0).current, static_cast<unsigned>(NVML_DEVICE_MIG_ENABLE));
  EXPECT_EQ(state->DestroyGpuInstance(0, 2), NVML_SUCCESS);
  EXPECT_EQ(state->DestroyGpuInstance(0, 7), NVML_SUCCESS);
  EXPECT_EQ(state->SetMigMode(0, NVML_DEVICE_MIG_DISABLE), NVML_SUCCESS);
  EXPECT_EQ(state->DestroyGpuInstance(0, 7), NVML_ERROR_NOT_SUPPORTED);
}

TEST_F(MigStateTest, ComputeInstancesAndTheMemoryOfBoundProcesses) {
  auto state = Open();
  unsigned gi = 0, ci = 0;
  ASSERT_EQ(state->CreateGpuInstance(0, *model_, Gi(19), std::nullopt, &gi), NVML_SUCCESS);
  ASSERT_EQ(state->CreateComputeInstance(0, gi, FullCi(19), &ci), NVML_SUCCESS);
  EXPECT_EQ(ci, 0u);
  EXPECT_EQ(state->CreateComputeInstance(0, gi, FullCi(19), &ci),
            NVML_ERROR_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(state->CreateComputeInstance(0, 3, FullCi(19), &ci), NVML_ERROR_NOT_FOUND);
  auto cis = state->ComputeInstances(0, gi);
  ASSERT_EQ(cis.size(), 1u);
  EXPECT_NE(cis[0].stamp, 0u);
  EXPECT_EQ(state->DestroyGpuInstance(0, gi), NVML_ERROR_IN_USE);  // it has a compute instance

  int slot = state->ClaimSlot(getpid());
  EXPECT_FALSE(state->BindMig(slot, 0, gi, 0, cis[0].stamp + 1));  // another incarnation
  ASSERT_TRUE(state->BindMig(slot, 0, gi, 0, cis[0].stamp));
  EXPECT_TRUE(state->ReserveMig(slot, 0, 4000 * kMiB));
  EXPECT_FALSE(state->ReserveMig(slot, 0, 1000 * kMiB));  // 4864 MiB in the instance
  EXPECT_TRUE(state->ReserveMig(slot, 0, 864 * kMiB));
  EXPECT_FALSE(state->ReserveMig(slot, 0, 1));
  EXPECT_EQ(state->MigUsedBytes(0, gi), 4864 * kMiB);
  EXPECT_EQ(state->UsedBytes(0), 4864 * kMiB);  // the GPU counts it too
  auto users = state->Processes(0);
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].gpu_instance, static_cast<int>(gi));
  EXPECT_EQ(users[0].compute_instance, 0);
  EXPECT_TRUE(state->AddMigContext(slot, 0));
  EXPECT_EQ(state->DestroyComputeInstance(0, gi, 0), NVML_ERROR_IN_USE);
  state->ReleaseSlot(slot);
  EXPECT_EQ(state->MigUsedBytes(0, gi), 0u);
  EXPECT_EQ(state->DestroyComputeInstance(0, gi, 0), NVML_SUCCESS);
  EXPECT_EQ(state->DestroyGpuInstance(0, gi), NVML_SUCCESS);
}

TEST_F(MigStateTest, ADeadProcessesInstanceMemoryIsReclaimed) {
  auto state = Open();
  unsigned gi = 0, ci = 0;
  ASSERT_EQ(state->CreateGpuInstance(0, *model_, Gi(9), std::nullopt, &gi), NVML_SUCCESS);
  ASSERT_EQ(state->CreateComputeInstance(0, gi, FullCi(9), &ci), NVML_SUCCESS);
  uint32_t stamp = state->ComputeInstances(0, gi)[0].stamp;
  pid_t child = fork();
  if (child == 0) {
    auto mine = SharedState::Open(path_, gpus_);
    int slot = mine.ok() ? (*mine)->ClaimSlot(getpid()) : -1;
    bool ok = slot >= 0 && (*mine)->BindMig(slot, 0, gi, ci, stamp) &&
              (*mine)->ReserveMig(slot, 0, 19968 * kMiB);
    _exit(ok ? 0 : 1);  // dies without releasing its slot
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  int slot = state->ClaimSlot(getpid());
  ASSERT_TRUE(state->BindMig(slot, 0, gi, ci, stamp));
  EXPECT_TRUE(state->ReserveMig(slot, 0, 19968 * kMiB));  // the dead one's memory came back
  state->ReleaseSlot(slot);
  EXPECT_EQ(state->DestroyComputeInstance(0, gi, ci), NVML_SUCCESS);
}

TEST_F(MigStateTest, AHalfWrittenRowOfADeadProcessIsDropped) {
  auto state = Open();
  unsigned gi = 0;
  ASSERT_EQ(state->CreateGpuInstance(0, *model_, Gi(19), std::nullopt, &gi), NVML_SUCCESS);
  pid_t child = fork();
  if (child == 0) {  // takes the MIG mutex, starts a row and dies
    int fd = open(path_.c_str(), O_RDWR);
    void* mem = mmap(nullptr, sizeof(StateFile), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    auto* file = static_cast<StateFile*>(mem);
    pthread_mutex_lock(&file->devices[0].mig.mu);
    file->devices[0].mig.gis[3].state = kMigWriting;
    file->devices[0].mig.gis[3].size = 2;
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  auto gis = state->GpuInstances(0);  // does not block on the dead owner
  ASSERT_EQ(gis.size(), 1u);
  EXPECT_EQ(gis[0].id, gi);
  unsigned id = 0;
  EXPECT_EQ(state->CreateGpuInstance(0, *model_, Gi(14), MigPlacement{2, 2}, &id), NVML_SUCCESS);
  EXPECT_EQ(id, 4u);
  EXPECT_EQ(state->CreateGpuInstance(0, *model_, Gi(14), MigPlacement{0, 2}, &id),
            NVML_ERROR_INSUFFICIENT_RESOURCES);  // the 1g at 0, not the dropped row
}

}  // namespace
}  // namespace hami::sim
