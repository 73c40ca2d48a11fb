// KAI Scheduler's HAMi-core env contract, honoured by libvgpu.so (docs/integrations/kai.md).
//
// KAI's hamicore admission plugin gives the GPU-fraction container CUDA_DEVICE_MEMORY_LIMIT from a
// ConfigMap key (optional), which the hamicore binder plugin fills with "<MiB>m" (unindexed: every
// device; no SM limit), beside KAI's NVIDIA_VISIBLE_DEVICES, GPU_PORTION and RUNAI_NUM_OF_GPUS.
// KAI-resource-isolator's webhook preloads libvgpu.so through /etc/ld.so.preload (LD_PRELOAD here)
// and sets POD_UID, CONTAINER_NAME and CONTAINER_VGPU_MOUNT; its monitor reads the region at
// <CONTAINER_VGPU_MOUNT>/containers/<POD_UID>_<CONTAINER_NAME>/usage.cache. Here that environment
// is given to env_probe on one simulated A100-40GB, and the limit and the region path must hold.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "test/shim/probe_child.h"

#include "region/region.h"

namespace {

using hami::test::kMiB;

constexpr uint64_t kLimit = 4147 * kMiB;  // CUDA_DEVICE_MEMORY_LIMIT=4147m, as the binder writes

class KaiEnvTest : public hami::test::ProbeTest {
 protected:
  KaiEnvTest() : ProbeTest("hami_kai_it_") {}

  void SetUp() override {
    ProbeTest::SetUp();
    if (IsSkipped()) return;
    mount_ = "/tmp/hami_kai_it_" + tag_;
    std::filesystem::remove_all(mount_);
    // The isolator's hostPath, mounted at CONTAINER_VGPU_MOUNT; libvgpu makes containers/<..>/.
    ASSERT_EQ(mkdir(mount_.c_str(), 0777), 0);
    cache_ = mount_ + "/containers/" + kPodUid + "_main/usage.cache";
  }
  void TearDown() override {
    if (!mount_.empty()) std::filesystem::remove_all(mount_);
    ProbeTest::TearDown();
  }

  // KAI's and KAI-resource-isolator's env, verbatim, plus the simulated driver's plumbing.
  std::map<std::string, std::string> KaiEnv() const {
    return {
        {"CUDA_DEVICE_MEMORY_LIMIT", "4147m"},
        {"NVIDIA_VISIBLE_DEVICES", "GPU-00000000-0000-0000-0000-000000000000"},
        {"GPU_PORTION", "0.1"},
        {"RUNAI_NUM_OF_GPUS", "0.1"},
        {"POD_UID", kPodUid},
        {"CONTAINER_NAME", "main"},
        {"CONTAINER_VGPU_MOUNT", mount_},
        {"LD_PRELOAD", HAMI_LIBVGPU},
        {"LD_LIBRARY_PATH", HAMI_SIM_LIBDIR},
        {"HAMI_SIM_GPUS", "1xA100-40GB"},
        {"HAMI_SIM_STATE", sim_state_},
    };
  }

  static constexpr const char* kPodUid = "0b7e9a8c-2f61-4c1e-8d2a-6c5f4e3d2b10";
  std::string mount_, cache_;
};

TEST_F(KaiEnvTest, MiBLimitHoldsAndTheRegionIsWhereTheIsolatorsMonitorLooks) {
  auto [rc, out] = Run(HAMI_ENV_PROBE, {"256"}, KaiEnv(), /*capture_stderr=*/true);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_EQ(Value(out, "cuda_count"), 1u) << out;
  EXPECT_EQ(Value(out, "dev0_total"), kLimit) << out;
  EXPECT_EQ(Value(out, "dev0_device_total"), kLimit) << out;
  EXPECT_EQ(Value(out, "dev0_error"), 2u) << out;  // CUDA_ERROR_OUT_OF_MEMORY
  const uint64_t free = Value(out, "dev0_free");
  EXPECT_LE(Value(out, "dev0_granted"), free) << out;
  EXPECT_GT(Value(out, "dev0_granted") + 256 * kMiB, free) << out;
  ASSERT_EQ(Value(out, "nvml_count"), 1u) << out;
  EXPECT_EQ(Value(out, "nvml0_total"), kLimit) << out;
  EXPECT_EQ(out.find("HAMI-core"), std::string::npos) << "quiet by default: " << out;

  hami::region::RegionFile f;
  ASSERT_EQ(f.OpenReadOnly(cache_.c_str()), hami::region::Error::kOk) << cache_;
  EXPECT_EQ(f.get()->limit[0], kLimit);
  EXPECT_EQ(f.get()->sm_limit[0], 0u) << "KAI passes no core limit";
}

// Without the hamicore binder plugin the optional ConfigMap key is absent: no limit, the whole
// GPU, and nothing refused (libvgpu does not invent a limit).
TEST_F(KaiEnvTest, NoLimitKeyMeansTheWholeGpu) {
  auto env = KaiEnv();
  env.erase("CUDA_DEVICE_MEMORY_LIMIT");
  auto [rc, out] = Run(HAMI_ENV_PROBE, {"4096"}, env, true);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_GT(Value(out, "dev0_total"), 40000 * kMiB) << out;
  EXPECT_EQ(Value(out, "nvml0_total"), Value(out, "dev0_total")) << out;
}

// A CONTAINER_VGPU_MOUNT that cannot hold the cache directory (not mounted): one error line, the
// default region path, and the limit still holds (only the monitor loses sight of the container).
TEST_F(KaiEnvTest, UnwritableMountFallsBackAndStillEnforces) {
  auto env = KaiEnv();
  env["CONTAINER_VGPU_MOUNT"] = mount_ + "/not-mounted";
  auto [rc, out] = Run(HAMI_ENV_PROBE, {"256"}, env, true);
  EXPECT_NE(out.find("cannot create the directory of " + mount_ + "/not-mounted/containers/"),
            std::string::npos)
      << out;
  if (rc != 0) {
    // /tmp/cudevshr.cache belongs to someone else on this machine: failing closed is the answer.
    EXPECT_NE(out.find("cannot enforce the GPU limits"), std::string::npos) << out;
    return;
  }
  EXPECT_EQ(Value(out, "dev0_total"), kLimit) << out;
  EXPECT_EQ(Value(out, "dev0_error"), 2u) << out;
}

}  // namespace
