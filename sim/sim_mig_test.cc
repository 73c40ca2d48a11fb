// MIG through the built libraries (dlopen), one process per scenario: the mode, the profile
// tables, GPU and compute instances created by one process and seen by others through the shared
// state, MIG device handles, and CUDA running on a MIG device (CUDA_VISIBLE_DEVICES=MIG-<uuid>).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gpuapi/cuda_functions.h"
#include "gpuapi/nvml_functions.h"
#include "sim/sim_test_util.h"

namespace hami::sim::testing {
namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr unsigned kEnable = NVML_DEVICE_MIG_ENABLE;
constexpr unsigned kDisable = NVML_DEVICE_MIG_DISABLE;
constexpr unsigned kProfile1g = 19;  // A100-40GB profile ids
constexpr unsigned kProfile3g = 9;
constexpr unsigned kProfile4g = 5;

class SimMig : public SimMachineTest {};

nvmlDevice_t Gpu(const Driver& d, unsigned index) {
  nvmlDevice_t h = nullptr;
  EXPECT_EQ(NVML(d, nvmlInit_v2)(), NVML_SUCCESS);
  EXPECT_EQ(NVML(d, nvmlDeviceGetHandleByIndex_v2)(index, &h), NVML_SUCCESS);
  return h;
}

std::string Uuid(const Driver& d, nvmlDevice_t h) {
  char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE] = {};
  EXPECT_EQ(NVML(d, nvmlDeviceGetUUID)(h, uuid, sizeof(uuid)), NVML_SUCCESS);
  return uuid;
}

// Creates a GPU instance of `profile_id` (at `placement` when given) with one full compute
// instance on GPU 0.
void CreateWithCi(const Driver& d, unsigned profile_id, unsigned ci_profile,
                  const nvmlGpuInstancePlacement_t* placement = nullptr) {
  nvmlDevice_t gpu = Gpu(d, 0);
  nvmlGpuInstance_t gi = nullptr;
  if (placement != nullptr) {
    ASSERT_EQ(NVML(d, nvmlDeviceCreateGpuInstanceWithPlacement)(gpu, profile_id, placement, &gi),
              NVML_SUCCESS);
  } else {
    ASSERT_EQ(NVML(d, nvmlDeviceCreateGpuInstance)(gpu, profile_id, &gi), NVML_SUCCESS);
  }
  nvmlComputeInstance_t ci = nullptr;
  ASSERT_EQ(NVML(d, nvmlGpuInstanceCreateComputeInstance)(gi, ci_profile, &ci), NVML_SUCCESS);
}

struct MigModes {
  unsigned current = 9;  // 9: not answered
  unsigned pending = 9;
};

MigModes GetMigModes(const Driver& d, nvmlDevice_t gpu) {
  MigModes modes;
  EXPECT_EQ(NVML(d, nvmlDeviceGetMigMode)(gpu, &modes.current, &modes.pending), NVML_SUCCESS);
  return modes;
}

// Asks for MIG mode `mode` on `gpu`; the activation status it answers (UNKNOWN: none).
nvmlReturn_t RequestMigMode(const Driver& d, nvmlDevice_t gpu, unsigned mode) {
  nvmlReturn_t status = NVML_ERROR_UNKNOWN;
  EXPECT_EQ(NVML(d, nvmlDeviceSetMigMode)(gpu, mode, &status), NVML_SUCCESS);
  return status;
}

// The memory the processes on MIG device `index` of `gpu` use.
uint64_t MigDeviceUsedBytes(const Driver& d, nvmlDevice_t gpu, unsigned index) {
  nvmlDevice_t mig = nullptr;
  EXPECT_EQ(NVML(d, nvmlDeviceGetMigDeviceHandleByIndex)(gpu, index, &mig), NVML_SUCCESS);
  nvmlMemory_t memory{};
  EXPECT_EQ(NVML(d, nvmlDeviceGetMemoryInfo)(mig, &memory), NVML_SUCCESS);
  return memory.used;
}

// Destroys compute instance `ci_id` of GPU instance `gi_id` on `gpu`, then the GPU instance;
// both must answer `expected`.
void ExpectDestroy(const Driver& d, nvmlDevice_t gpu, unsigned gi_id, unsigned ci_id,
                   nvmlReturn_t expected) {
  nvmlGpuInstance_t gi = nullptr;
  nvmlComputeInstance_t ci = nullptr;
  ASSERT_EQ(NVML(d, nvmlDeviceGetGpuInstanceById)(gpu, gi_id, &gi), NVML_SUCCESS);
  ASSERT_EQ(NVML(d, nvmlGpuInstanceGetComputeInstanceById)(gi, ci_id, &ci), NVML_SUCCESS);
  EXPECT_EQ(NVML(d, nvmlComputeInstanceDestroy)(ci), expected);
  EXPECT_EQ(NVML(d, nvmlGpuInstanceDestroy)(gi), expected);
}

// A forked process that applies `env`, loads the driver and runs `setup` (true when every step
// succeeded), reports the result, and keeps what it set up (contexts, memory) until Release().
class HoldingProcess {
 public:
  HoldingProcess(const Env& env, const std::function<bool(const Driver&)>& setup) {
    if (pipe(ready_) != 0 || pipe(done_) != 0) {
      ADD_FAILURE() << "pipe";
      return;
    }
    pid_ = fork();
    if (pid_ == 0) {
      ApplyEnv(env);
      Driver d = LoadDriver();
      char c = setup(d) ? 'y' : 'n';
      (void)!write(ready_[1], &c, 1);
      (void)!read(done_[0], &c, 1);
      _exit(0);
    }
  }
  ~HoldingProcess() {
    if (pid_ > 0) Release();
  }
  HoldingProcess(const HoldingProcess&) = delete;
  HoldingProcess& operator=(const HoldingProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Waits for the process's report: true when its setup succeeded.
  bool SetUpSucceeded() {
    char c = 0;
    return pid_ > 0 && read(ready_[0], &c, 1) == 1 && c == 'y';
  }

  // Lets the process exit and reaps it: true when it exited with status 0.
  bool Release() {
    if (pid_ <= 0) return false;
    char c = 'x';
    (void)!write(done_[1], &c, 1);
    int status = 0;
    const bool reaped = waitpid(pid_, &status, 0) == pid_;
    pid_ = -1;
    for (int fd : {ready_[0], ready_[1], done_[0], done_[1]}) close(fd);
    return reaped && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

 private:
  int ready_[2] = {-1, -1};
  int done_[2] = {-1, -1};
  pid_t pid_ = -1;
};

TEST_F(SimMig, ModeIsPerGpuAndProfilesComeFromTheModelsTable) {
  EXPECT_EQ(
      RunInChild(
          Machine("A100-40GB,T4-16GB"),
          [] {
            Driver d = LoadDriver();
            nvmlDevice_t a100 = Gpu(d, 0);
            nvmlDevice_t t4 = Gpu(d, 1);
            nvmlReturn_t status = NVML_ERROR_UNKNOWN;
            EXPECT_EQ(NVML(d, nvmlDeviceSetMigMode)(t4, kEnable, &status),
                      NVML_ERROR_NOT_SUPPORTED);
            EXPECT_EQ(NVML(d, nvmlDeviceSetMigMode)(a100, 2, &status), NVML_ERROR_INVALID_ARGUMENT);
            unsigned count = 9;
            EXPECT_EQ(NVML(d, nvmlDeviceGetMaxMigDeviceCount)(a100, &count), NVML_SUCCESS);
            EXPECT_EQ(count, 0u);
            EXPECT_EQ(NVML(d, nvmlDeviceGetMaxMigDeviceCount)(t4, &count),
                      NVML_ERROR_NOT_SUPPORTED);
            nvmlGpuInstanceProfileInfo_t info{};
            EXPECT_EQ(NVML(d, nvmlDeviceGetGpuInstanceProfileInfo)(
                          a100, NVML_GPU_INSTANCE_PROFILE_1_SLICE, &info),
                      NVML_ERROR_NOT_SUPPORTED);  // MIG is off
            nvmlGpuInstance_t gi = nullptr;
            EXPECT_EQ(NVML(d, nvmlDeviceCreateGpuInstance)(a100, kProfile1g, &gi),
                      NVML_ERROR_NOT_SUPPORTED);

            EXPECT_EQ(RequestMigMode(d, a100, kEnable), NVML_SUCCESS);
            MigModes modes = GetMigModes(d, a100);
            EXPECT_EQ(modes.current, kEnable);
            EXPECT_EQ(modes.pending, kEnable);
            EXPECT_EQ(NVML(d, nvmlDeviceGetMaxMigDeviceCount)(a100, &count), NVML_SUCCESS);
            EXPECT_EQ(count, 7u);

            ASSERT_EQ(NVML(d, nvmlDeviceGetGpuInstanceProfileInfo)(
                          a100, NVML_GPU_INSTANCE_PROFILE_1_SLICE, &info),
                      NVML_SUCCESS);
            EXPECT_EQ(info.id, kProfile1g);
            EXPECT_EQ(info.sliceCount, 1u);
            EXPECT_EQ(info.instanceCount, 7u);
            EXPECT_EQ(info.multiprocessorCount, 14u);
            EXPECT_EQ(info.memorySizeMB, 4864u);
            ASSERT_EQ(NVML(d, nvmlDeviceGetGpuInstanceProfileInfo)(
                          a100, NVML_GPU_INSTANCE_PROFILE_7_SLICE, &info),
                      NVML_SUCCESS);
            EXPECT_EQ(info.id, 0u);
            EXPECT_EQ(info.multiprocessorCount, 98u);
            EXPECT_EQ(info.memorySizeMB, 40192u);
            EXPECT_EQ(NVML(d, nvmlDeviceGetGpuInstanceProfileInfo)(
                          a100, NVML_GPU_INSTANCE_PROFILE_2_SLICE_REV1, &info),
                      NVML_ERROR_NOT_SUPPORTED);  // an A30 profile
            EXPECT_EQ(NVML(d, nvmlDeviceGetGpuInstanceProfileInfo)(
                          a100, NVML_GPU_INSTANCE_PROFILE_COUNT, &info),
                      NVML_ERROR_INVALID_ARGUMENT);
            nvmlGpuInstanceProfileInfo_v2_t v2{};
            EXPECT_EQ(NVML(d, nvmlDeviceGetGpuInstanceProfileInfoV)(
                          a100, NVML_GPU_INSTANCE_PROFILE_3_SLICE, &v2),
                      NVML_ERROR_ARGUMENT_VERSION_MISMATCH);
            v2.version = nvmlGpuInstanceProfileInfo_v2;
            ASSERT_EQ(NVML(d, nvmlDeviceGetGpuInstanceProfileInfoV)(
                          a100, NVML_GPU_INSTANCE_PROFILE_3_SLICE, &v2),
                      NVML_SUCCESS);
            EXPECT_EQ(v2.id, kProfile3g);
            EXPECT_EQ(v2.memorySizeMB, 19968u);
            EXPECT_STREQ(v2.name, "MIG 3g.20gb");

            unsigned n = 0;
            ASSERT_EQ(NVML(d, nvmlDeviceGetGpuInstancePossiblePlacements_v2)(a100, kProfile1g,
                                                                             nullptr, &n),
                      NVML_SUCCESS);
            EXPECT_EQ(n, 7u);
            std::vector<nvmlGpuInstancePlacement_t> placements(n);
            n = 2;
            EXPECT_EQ(NVML(d, nvmlDeviceGetGpuInstancePossiblePlacements_v2)(a100, kProfile1g,
                                                                             placements.data(), &n),
                      NVML_ERROR_INSUFFICIENT_SIZE);
            ASSERT_EQ(n, 7u);
            ASSERT_EQ(NVML(d, nvmlDeviceGetGpuInstancePossiblePlacements_v2)(a100, kProfile1g,
                                                                             placements.data(), &n),
                      NVML_SUCCESS);
            EXPECT_EQ(placements[6].start, 6u);
            EXPECT_EQ(placements[6].size, 1u);
            ASSERT_EQ(NVML(d, nvmlDeviceGetGpuInstancePossiblePlacements)(a100, kProfile3g,
                                                                          placements.data(), &n),
                      NVML_SUCCESS);
            ASSERT_EQ(n, 2u);
            EXPECT_EQ(placements[1].start, 4u);
            EXPECT_EQ(placements[1].size, 4u);
            EXPECT_EQ(NVML(d, nvmlDeviceGetGpuInstancePossiblePlacements_v2)(a100, 1, nullptr, &n),
                      NVML_ERROR_INVALID_ARGUMENT);  // no profile has id 1
            EXPECT_EQ(NVML(d, nvmlDeviceGetGpuInstanceRemainingCapacity)(a100, kProfile1g, &n),
                      NVML_SUCCESS);
            EXPECT_EQ(n, 7u);
          }),
      0);
  // The mode is in the state file: another process sees it.
  EXPECT_EQ(RunInChild(Machine("A100-40GB,T4-16GB"),
                       [] {
                         Driver d = LoadDriver();
                         EXPECT_EQ(GetMigModes(d, Gpu(d, 0)).current, kEnable);
                       }),
            0);
}

TEST_F(SimMig, InstancesPlacementsAndMigDeviceHandles) {
  EXPECT_EQ(
      RunInChild(
          Machine("A100-40GB", {{"HAMI_SIM_MIG", "0"}}),
          [] {
            Driver d = LoadDriver();
            nvmlDevice_t gpu = Gpu(d, 0);
            nvmlGpuInstance_t one = nullptr, three = nullptr, other = nullptr;
            ASSERT_EQ(NVML(d, nvmlDeviceCreateGpuInstance)(gpu, kProfile1g, &one), NVML_SUCCESS);
            nvmlGpuInstancePlacement_t at4 = {4, 4}, at0 = {0, 4}, at1 = {1, 4};
            ASSERT_EQ(
                NVML(d, nvmlDeviceCreateGpuInstanceWithPlacement)(gpu, kProfile3g, &at4, &three),
                NVML_SUCCESS);
            EXPECT_EQ(
                NVML(d, nvmlDeviceCreateGpuInstanceWithPlacement)(gpu, kProfile3g, &at0, &other),
                NVML_ERROR_INSUFFICIENT_RESOURCES);  // overlaps the 1g at slice 0
            EXPECT_EQ(
                NVML(d, nvmlDeviceCreateGpuInstanceWithPlacement)(gpu, kProfile3g, &at1, &other),
                NVML_ERROR_INVALID_ARGUMENT);  // not a 3g placement
            EXPECT_EQ(NVML(d, nvmlDeviceCreateGpuInstance)(gpu, kProfile4g, &other),
                      NVML_ERROR_INSUFFICIENT_RESOURCES);
            unsigned n = 0;
            ASSERT_EQ(NVML(d, nvmlDeviceGetGpuInstanceRemainingCapacity)(gpu, kProfile1g, &n),
                      NVML_SUCCESS);
            EXPECT_EQ(n, 3u);  // slices 1, 2, 3
            nvmlGpuInstanceInfo_t info{};
            ASSERT_EQ(NVML(d, nvmlGpuInstanceGetInfo)(one, &info), NVML_SUCCESS);
            EXPECT_EQ(info.device, gpu);
            EXPECT_EQ(info.id, 7u);
            EXPECT_EQ(info.profileId, kProfile1g);
            EXPECT_EQ(info.placement.start, 0u);
            ASSERT_EQ(NVML(d, nvmlGpuInstanceGetInfo)(three, &info), NVML_SUCCESS);
            EXPECT_EQ(info.id, 2u);
            EXPECT_EQ(info.placement.size, 4u);
            nvmlGpuInstance_t list[7] = {};
            ASSERT_EQ(NVML(d, nvmlDeviceGetGpuInstances)(gpu, kProfile3g, list, &n), NVML_SUCCESS);
            ASSERT_EQ(n, 1u);
            EXPECT_EQ(list[0], three);
            EXPECT_EQ(NVML(d, nvmlDeviceGetGpuInstanceById)(gpu, 7, &other), NVML_SUCCESS);
            EXPECT_EQ(other, one);
            EXPECT_EQ(NVML(d, nvmlDeviceGetGpuInstanceById)(gpu, 8, &other), NVML_ERROR_NOT_FOUND);

            // Compute instances: profiles inside the 3g, the full one on each.
            nvmlComputeInstanceProfileInfo_t cip{};
            ASSERT_EQ(NVML(d, nvmlGpuInstanceGetComputeInstanceProfileInfo)(
                          three, NVML_COMPUTE_INSTANCE_PROFILE_1_SLICE,
                          NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED, &cip),
                      NVML_SUCCESS);
            EXPECT_EQ(cip.id, 0u);
            EXPECT_EQ(cip.instanceCount, 3u);
            EXPECT_EQ(cip.multiprocessorCount, 14u);
            nvmlComputeInstanceProfileInfo_v2_t cip2{};
            cip2.version = nvmlComputeInstanceProfileInfo_v2;
            ASSERT_EQ(NVML(d, nvmlGpuInstanceGetComputeInstanceProfileInfoV)(
                          three, NVML_COMPUTE_INSTANCE_PROFILE_3_SLICE,
                          NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED, &cip2),
                      NVML_SUCCESS);
            EXPECT_EQ(cip2.multiprocessorCount, 42u);
            EXPECT_STREQ(cip2.name, "MIG 3g.20gb");
            EXPECT_EQ(NVML(d, nvmlGpuInstanceGetComputeInstanceProfileInfo)(
                          one, NVML_COMPUTE_INSTANCE_PROFILE_2_SLICE,
                          NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED, &cip),
                      NVML_ERROR_NOT_SUPPORTED);
            nvmlComputeInstance_t ci1 = nullptr, ci3 = nullptr, more = nullptr;
            ASSERT_EQ(NVML(d, nvmlGpuInstanceCreateComputeInstance)(
                          one, NVML_COMPUTE_INSTANCE_PROFILE_1_SLICE, &ci1),
                      NVML_SUCCESS);
            EXPECT_EQ(NVML(d, nvmlGpuInstanceCreateComputeInstance)(
                          one, NVML_COMPUTE_INSTANCE_PROFILE_1_SLICE, &more),
                      NVML_ERROR_INSUFFICIENT_RESOURCES);
            ASSERT_EQ(NVML(d, nvmlGpuInstanceCreateComputeInstance)(
                          three, NVML_COMPUTE_INSTANCE_PROFILE_3_SLICE, &ci3),
                      NVML_SUCCESS);
            ASSERT_EQ(NVML(d, nvmlGpuInstanceGetComputeInstanceRemainingCapacity)(
                          three, NVML_COMPUTE_INSTANCE_PROFILE_1_SLICE, &n),
                      NVML_SUCCESS);
            EXPECT_EQ(n, 0u);
            nvmlComputeInstanceInfo_t ci_info{};
            ASSERT_EQ(NVML(d, nvmlComputeInstanceGetInfo_v2)(ci3, &ci_info), NVML_SUCCESS);
            EXPECT_EQ(ci_info.device, gpu);
            EXPECT_EQ(ci_info.gpuInstance, three);
            EXPECT_EQ(ci_info.id, 0u);
            EXPECT_EQ(ci_info.profileId,
                      static_cast<unsigned>(NVML_COMPUTE_INSTANCE_PROFILE_3_SLICE));
            EXPECT_EQ(ci_info.placement.size, 3u);
            EXPECT_EQ(NVML(d, nvmlGpuInstanceGetComputeInstanceById)(three, 0, &more),
                      NVML_SUCCESS);
            EXPECT_EQ(more, ci3);
            EXPECT_EQ(NVML(d, nvmlGpuInstanceGetComputeInstanceById)(three, 1, &more),
                      NVML_ERROR_NOT_FOUND);

            // MIG devices, by GPU-instance id: the 3g (id 2) first, then the 1g (id 7).
            nvmlDevice_t mig = nullptr, parent = nullptr;
            ASSERT_EQ(NVML(d, nvmlDeviceGetMigDeviceHandleByIndex)(gpu, 0, &mig), NVML_SUCCESS);
            unsigned is_mig = 0, id = 0;
            ASSERT_EQ(NVML(d, nvmlDeviceIsMigDeviceHandle)(mig, &is_mig), NVML_SUCCESS);
            EXPECT_EQ(is_mig, 1u);
            ASSERT_EQ(NVML(d, nvmlDeviceIsMigDeviceHandle)(gpu, &is_mig), NVML_SUCCESS);
            EXPECT_EQ(is_mig, 0u);
            ASSERT_EQ(NVML(d, nvmlDeviceGetGpuInstanceId)(mig, &id), NVML_SUCCESS);
            EXPECT_EQ(id, 2u);
            ASSERT_EQ(NVML(d, nvmlDeviceGetComputeInstanceId)(mig, &id), NVML_SUCCESS);
            EXPECT_EQ(id, 0u);
            EXPECT_EQ(NVML(d, nvmlDeviceGetGpuInstanceId)(gpu, &id), NVML_ERROR_NOT_SUPPORTED);
            ASSERT_EQ(NVML(d, nvmlDeviceGetDeviceHandleFromMigDeviceHandle)(mig, &parent),
                      NVML_SUCCESS);
            EXPECT_EQ(parent, gpu);
            std::string uuid = Uuid(d, mig);
            EXPECT_EQ(uuid.rfind("MIG-", 0), 0u) << uuid;
            EXPECT_EQ(uuid.size(), 40u);
            nvmlDevice_t by_uuid = nullptr;
            ASSERT_EQ(NVML(d, nvmlDeviceGetHandleByUUID)(uuid.c_str(), &by_uuid), NVML_SUCCESS);
            EXPECT_EQ(by_uuid, mig);
            char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
            ASSERT_EQ(NVML(d, nvmlDeviceGetName)(mig, name, sizeof(name)), NVML_SUCCESS);
            EXPECT_STREQ(name, "NVIDIA A100-SXM4-40GB MIG 3g.20gb");
            nvmlMemory_t memory{};
            ASSERT_EQ(NVML(d, nvmlDeviceGetMemoryInfo)(mig, &memory), NVML_SUCCESS);
            EXPECT_EQ(memory.total, 19968 * kMiB);
            EXPECT_EQ(memory.used, 0u);
            nvmlDevice_t mig1 = nullptr;
            ASSERT_EQ(NVML(d, nvmlDeviceGetMigDeviceHandleByIndex)(gpu, 1, &mig1), NVML_SUCCESS);
            ASSERT_EQ(NVML(d, nvmlDeviceGetGpuInstanceId)(mig1, &id), NVML_SUCCESS);
            EXPECT_EQ(id, 7u);
            EXPECT_NE(Uuid(d, mig1), uuid);
            ASSERT_EQ(NVML(d, nvmlDeviceGetMemoryInfo)(mig1, &memory), NVML_SUCCESS);
            EXPECT_EQ(memory.total, 4864 * kMiB);
            EXPECT_EQ(NVML(d, nvmlDeviceGetMigDeviceHandleByIndex)(gpu, 2, &mig1),
                      NVML_ERROR_NOT_FOUND);

            // Destroying: a GPU instance only without compute instances; disabling MIG only without
            // GPU instances (the request stays pending).
            EXPECT_EQ(NVML(d, nvmlGpuInstanceDestroy)(three), NVML_ERROR_IN_USE);
            ASSERT_EQ(NVML(d, nvmlComputeInstanceDestroy)(ci3), NVML_SUCCESS);
            EXPECT_EQ(NVML(d, nvmlComputeInstanceDestroy)(ci3), NVML_ERROR_INVALID_ARGUMENT);
            EXPECT_EQ(NVML(d, nvmlDeviceGetUUID)(mig, name, sizeof(name)),
                      NVML_ERROR_INVALID_ARGUMENT);
            ASSERT_EQ(NVML(d, nvmlGpuInstanceDestroy)(three), NVML_SUCCESS);
            EXPECT_EQ(NVML(d, nvmlGpuInstanceGetInfo)(three, &info), NVML_ERROR_INVALID_ARGUMENT);
            EXPECT_EQ(RequestMigMode(d, gpu, kDisable), NVML_ERROR_IN_USE);
            MigModes modes = GetMigModes(d, gpu);
            EXPECT_EQ(modes.current, kEnable);
            EXPECT_EQ(modes.pending, kDisable);
          }),
      0);
}

TEST_F(SimMig, CudaRunsOnAMigDeviceCreatedByAnotherProcess) {
  const Env env = Machine("A100-40GB,T4-16GB", {{"HAMI_SIM_MIG", "0"}});
  // One process (the device plugin's part) creates the instances and exits.
  ASSERT_EQ(RunInChild(env,
                       [] {
                         Driver d = LoadDriver();
                         nvmlGpuInstancePlacement_t at4 = {4, 4};
                         CreateWithCi(d, kProfile1g, NVML_COMPUTE_INSTANCE_PROFILE_1_SLICE);
                         CreateWithCi(d, kProfile3g, NVML_COMPUTE_INSTANCE_PROFILE_3_SLICE, &at4);
                       }),
            0);
  // Without CUDA_VISIBLE_DEVICES the GPU in MIG mode is not a CUDA device; by index it ends the
  // list.
  EXPECT_EQ(RunInChild(env,
                       [] {
                         Driver d = LoadDriver();
                         ASSERT_EQ(CU(d, cuInit)(0), CUDA_SUCCESS);
                         int count = 0;
                         ASSERT_EQ(CU(d, cuDeviceGetCount)(&count), CUDA_SUCCESS);
                         EXPECT_EQ(count, 1);
                         char name[96];
                         ASSERT_EQ(CU(d, cuDeviceGetName)(name, sizeof(name), 0), CUDA_SUCCESS);
                         EXPECT_STREQ(name, "Tesla T4");
                       }),
            0);
  EXPECT_EQ(RunInChild(Machine("A100-40GB,T4-16GB", {{"CUDA_VISIBLE_DEVICES", "0,1"}}),
                       [] {
                         Driver d = LoadDriver();
                         EXPECT_EQ(CU(d, cuInit)(0), CUDA_ERROR_NO_DEVICE);
                       }),
            0);

  // A container process on the 1g (MIG device 1: GPU instance 7) holds memory.
  HoldingProcess holder(env, [](const Driver& d) {
    nvmlDevice_t mig = nullptr;
    bool ok = NVML(d, nvmlDeviceGetMigDeviceHandleByIndex)(Gpu(d, 0), 1, &mig) == NVML_SUCCESS;
    std::string uuid = ok ? Uuid(d, mig) : "";
    setenv("CUDA_VISIBLE_DEVICES", uuid.c_str(), 1);
    ok = ok && CU(d, cuInit)(0) == CUDA_SUCCESS;
    int count = 0, sms = 0;
    size_t total = 0, free = 0;
    char name[96] = {};
    CUcontext ctx = nullptr;
    ok = ok && CU(d, cuDeviceGetCount)(&count) == CUDA_SUCCESS && count == 1;
    ok = ok && CU(d, cuDeviceTotalMem_v2)(&total, 0) == CUDA_SUCCESS && total == 4864 * kMiB;
    ok = ok &&
         CU(d, cuDeviceGetAttribute)(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 0) ==
             CUDA_SUCCESS &&
         sms == 14;
    ok = ok && CU(d, cuDeviceGetName)(name, sizeof(name), 0) == CUDA_SUCCESS &&
         std::string(name) == "NVIDIA A100-SXM4-40GB MIG 1g.5gb";
    ok = ok && CU(d, cuDevicePrimaryCtxRetain)(&ctx, 0) == CUDA_SUCCESS &&
         CU(d, cuCtxSetCurrent)(ctx) == CUDA_SUCCESS;
    CUdeviceptr p = 0;
    // The instance's memory, not the GPU's: 4 GiB fit, another GiB does not.
    ok = ok && CU(d, cuMemAlloc_v2)(&p, 4096 * kMiB) == CUDA_SUCCESS;
    ok = ok && CU(d, cuMemAlloc_v2)(&p, 1024 * kMiB) == CUDA_ERROR_OUT_OF_MEMORY;
    ok = ok && CU(d, cuMemAlloc_v2)(&p, 768 * kMiB) == CUDA_SUCCESS;
    ok = ok && CU(d, cuMemGetInfo_v2)(&free, &total) == CUDA_SUCCESS && total == 4864 * kMiB &&
         free == 0;
    return ok;
  });
  ASSERT_TRUE(holder.SetUpSucceeded());
  EXPECT_EQ(
      RunInChild(
          env,
          [pid = holder.pid()] {
            Driver d = LoadDriver();
            nvmlDevice_t gpu = Gpu(d, 0);
            nvmlDevice_t mig = nullptr;
            ASSERT_EQ(NVML(d, nvmlDeviceGetMigDeviceHandleByIndex)(gpu, 1, &mig), NVML_SUCCESS);
            EXPECT_EQ(MigDeviceUsedBytes(d, gpu, 1), 4864 * kMiB);
            nvmlMemory_t memory{};
            ASSERT_EQ(NVML(d, nvmlDeviceGetMemoryInfo)(gpu, &memory), NVML_SUCCESS);
            EXPECT_EQ(memory.used, 4864 * kMiB);
            nvmlProcessInfo_t infos[4];
            unsigned n = 4;
            ASSERT_EQ(NVML(d, nvmlDeviceGetComputeRunningProcesses_v3)(mig, &n, infos),
                      NVML_SUCCESS);
            ASSERT_EQ(n, 1u);
            EXPECT_EQ(infos[0].pid, static_cast<unsigned>(pid));
            EXPECT_EQ(infos[0].gpuInstanceId, 7u);
            EXPECT_EQ(infos[0].computeInstanceId, 0u);
            nvmlDevice_t other = nullptr;
            ASSERT_EQ(NVML(d, nvmlDeviceGetMigDeviceHandleByIndex)(gpu, 0, &other), NVML_SUCCESS);
            n = 4;
            ASSERT_EQ(NVML(d, nvmlDeviceGetComputeRunningProcesses_v3)(other, &n, infos),
                      NVML_SUCCESS);
            EXPECT_EQ(n, 0u);
            // In use: neither instance may go.
            ExpectDestroy(d, gpu, 7, 0, NVML_ERROR_IN_USE);
          }),
      0);
  EXPECT_TRUE(holder.Release());
  EXPECT_EQ(RunInChild(env,
                       [] {
                         Driver d = LoadDriver();
                         nvmlDevice_t gpu = Gpu(d, 0);
                         EXPECT_EQ(MigDeviceUsedBytes(d, gpu, 1), 0u);
                         ExpectDestroy(d, gpu, 7, 0, NVML_SUCCESS);
                       }),
            0);
}

TEST_F(SimMig, EnablingWaitsWhileAProcessHoldsMemory) {
  const Env env = Machine("A100-40GB");
  HoldingProcess holder(env, [](const Driver& d) {
    CUcontext ctx = nullptr;
    CUdeviceptr p = 0;
    return CU(d, cuInit)(0) == CUDA_SUCCESS &&
           CU(d, cuDevicePrimaryCtxRetain)(&ctx, 0) == CUDA_SUCCESS &&
           CU(d, cuCtxSetCurrent)(ctx) == CUDA_SUCCESS &&
           CU(d, cuMemAlloc_v2)(&p, 64 * kMiB) == CUDA_SUCCESS;
  });
  ASSERT_TRUE(holder.SetUpSucceeded());
  EXPECT_EQ(RunInChild(env,
                       [] {
                         Driver d = LoadDriver();
                         nvmlDevice_t gpu = Gpu(d, 0);
                         EXPECT_EQ(RequestMigMode(d, gpu, kEnable), NVML_ERROR_IN_USE);
                         MigModes modes = GetMigModes(d, gpu);
                         EXPECT_EQ(modes.current, kDisable);
                         EXPECT_EQ(modes.pending, kEnable);
                         nvmlGpuInstance_t gi = nullptr;
                         EXPECT_EQ(NVML(d, nvmlDeviceCreateGpuInstance)(gpu, kProfile1g, &gi),
                                   NVML_ERROR_NOT_SUPPORTED);
                       }),
            0);
  EXPECT_TRUE(holder.Release());
  EXPECT_EQ(RunInChild(env,
                       [] {
                         Driver d = LoadDriver();
                         nvmlDevice_t gpu = Gpu(d, 0);
                         EXPECT_EQ(RequestMigMode(d, gpu, kEnable), NVML_SUCCESS);
                         EXPECT_EQ(GetMigModes(d, gpu).current, kEnable);
                       }),
            0);
}

TEST_F(SimMig, BadMigListFailsInit) {
  EXPECT_EQ(RunInChild(Machine("A100-40GB,T4-16GB", {{"HAMI_SIM_MIG", "1"}}),
                       [] {
                         Driver d = LoadDriver();
                         EXPECT_EQ(CU(d, cuInit)(0), CUDA_ERROR_SYSTEM_NOT_READY);
                         EXPECT_EQ(NVML(d, nvmlInit_v2)(), NVML_ERROR_DRIVER_NOT_LOADED);
                       }),
            0);
}

}  // namespace
}  // namespace hami::sim::testing
