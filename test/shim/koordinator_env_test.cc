// Koordinator's HAMi-core env contract, honoured by libvgpu.so (docs/integrations/koordinator.md).
//
// koordlet's GPUEnvInject hook (koordinator v1.6.0 / v1.7.0,
// pkg/koordlet/runtimehooks/hooks/gpu/gpu.go) gives a container of a pod labelled
// koordinator.sh/gpu-isolation-provider=HAMi-core exactly: NVIDIA_VISIBLE_DEVICES=<minors>,
// CUDA_DEVICE_MEMORY_LIMIT=<bytes, plain integer, unindexed>, CUDA_DEVICE_SM_LIMIT=<core %>,
// LD_PRELOAD=/usr/local/vgpu/libvgpu.so, and with the HamiCoreVGPUMonitor gate (v1.7.0)
// CUDA_DEVICE_MEMORY_SHARED_CACHE=/usr/local/vgpu/<podUID>_<container>.cache, where /usr/local/vgpu
// is the host directory /usr/local/vgpu/containers/<podUID>_<container>. Here that environment is
// given to env_probe / sm_probe on the simulated driver showing the container's view (the two GPUs
// NVIDIA_VISIBLE_DEVICES named, renumbered 0 and 1 by the container runtime), and the limits must
// hold on both devices.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "test/shim/probe_child.h"

#include "region/region.h"

namespace {

using hami::test::kMiB;

constexpr uint64_t kLimit = 4294967296;  // what koordlet writes for koordinator.sh/gpu-memory: 4Gi

class KoordinatorEnvTest : public hami::test::ProbeTest {
 protected:
  KoordinatorEnvTest() : ProbeTest("hami_koord_it_") {}

  void SetUp() override {
    ProbeTest::SetUp();
    if (IsSkipped()) return;
    host_dir_ = "/tmp/hami_koord_it_" + tag_;
    std::filesystem::remove_all(host_dir_);
    // The directory koordlet creates (0777) and mounts at the container's /usr/local/vgpu.
    ASSERT_EQ(mkdir(host_dir_.c_str(), 0777), 0);
    cache_ = host_dir_ + "/" + kPodUid + "_main.cache";
  }
  void TearDown() override {
    if (!host_dir_.empty()) std::filesystem::remove_all(host_dir_);
    ProbeTest::TearDown();
  }

  // Koordinator's env, verbatim, plus the simulated driver's plumbing.
  std::map<std::string, std::string> KoordEnv() const {
    return {
        {"NVIDIA_VISIBLE_DEVICES", "1,3"},
        {"CUDA_DEVICE_MEMORY_LIMIT", "4294967296"},
        {"CUDA_DEVICE_SM_LIMIT", "50"},
        {"LD_PRELOAD", HAMI_LIBVGPU},
        {"CUDA_DEVICE_MEMORY_SHARED_CACHE", cache_},
        {"LD_LIBRARY_PATH", HAMI_SIM_LIBDIR},
        {"HAMI_SIM_GPUS", "2xA100-40GB"},
        {"HAMI_SIM_STATE", sim_state_},
    };
  }

  static constexpr const char* kPodUid = "5f0d3c4e-8a59-4d0c-9a57-3b0f3a1e2d11";
  std::string host_dir_, cache_;
};

TEST_F(KoordinatorEnvTest, PlainByteLimitHoldsOnEveryVisibleDeviceAndTheRegionIsAtTheCachePath) {
  auto [rc, out] = Run(HAMI_ENV_PROBE, {"256"}, KoordEnv(), /*capture_stderr=*/true);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_EQ(Value(out, "cuda_count"), 2u) << out;
  for (int d = 0; d < 2; ++d) {
    const std::string p = "dev" + std::to_string(d) + "_";
    EXPECT_EQ(Value(out, p + "total"), kLimit) << out;
    EXPECT_EQ(Value(out, p + "device_total"), kLimit) << out;
    // Refused with CUDA_ERROR_OUT_OF_MEMORY once the limit is reached, never beyond it.
    EXPECT_EQ(Value(out, p + "error"), 2u) << out;
    const uint64_t free = Value(out, p + "free");
    EXPECT_LE(Value(out, p + "granted"), free) << out;
    EXPECT_GT(Value(out, p + "granted") + 256 * kMiB, free) << out;
  }
  ASSERT_EQ(Value(out, "nvml_count"), 2u) << out;
  EXPECT_EQ(Value(out, "nvml0_total"), kLimit) << out;
  EXPECT_EQ(Value(out, "nvml1_total"), kLimit) << out;
  EXPECT_EQ(out.find("HAMI-core"), std::string::npos) << "quiet by default: " << out;

  // The shared region is where CUDA_DEVICE_MEMORY_SHARED_CACHE says (what HAMi's monitor, run by
  // Koordinator's hami-daemon, reads), with the unindexed limits on both devices.
  hami::region::RegionFile f;
  ASSERT_EQ(f.OpenReadOnly(cache_.c_str()), hami::region::Error::kOk) << cache_;
  for (int d = 0; d < 2; ++d) {
    EXPECT_EQ(f.get()->limit[d], kLimit) << d;
    EXPECT_EQ(f.get()->sm_limit[d], 50u) << d;
  }
}

// CUDA_DEVICE_SM_LIMIT=50 throttles: measured utilization of a busy kernel loop on the simulated
// GPU (exact busy time; docs/libvgpu.md "Compute") stays at or below 50 % (+8 points).
TEST_F(KoordinatorEnvTest, CoreLimitIsApplied) {
  auto env = KoordEnv();
  env["HAMI_SIM_NS_PER_BLOCK"] = "5000";
  auto [rc, out] = Run(HAMI_SM_PROBE, {"kernel", "500", "1500", "800"}, env, true);
  ASSERT_EQ(rc, 0) << out;
  const double util = static_cast<double>(Value(out, "util_x100")) / 100.0;
  EXPECT_GT(util, 30.0) << out;  // lower only when the CPU is starved (shared test machines)
  EXPECT_LT(util, 58.0) << out;
}

}  // namespace
