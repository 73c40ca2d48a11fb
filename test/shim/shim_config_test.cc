// shim::ReadConfig over the env sets the peer schedulers inject (docs/integrations/koordinator.md,
// docs/integrations/kai.md): their units, unindexed limits, and the region path forms.
#include <cstring>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "shim/config.h"

namespace {

using Env = std::map<std::string, std::string>;

const char* Lookup(const char* name, void* context) {
  const auto* env = static_cast<const Env*>(context);
  auto it = env->find(name);
  return it == env->end() ? nullptr : it->second.c_str();
}

hami::shim::Config Read(Env env) { return hami::shim::ReadConfig(Lookup, &env); }

constexpr uint64_t kMiB = 1ull << 20;

TEST(ShimConfigTest, KoordinatorPlainBytesAndCorePercentApplyToEveryDevice) {
  auto c = Read({{"CUDA_DEVICE_MEMORY_LIMIT", "4294967296"},
                 {"CUDA_DEVICE_SM_LIMIT", "50"},
                 {"NVIDIA_VISIBLE_DEVICES", "1,3"},
                 {"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/usr/local/vgpu/uid-1_main.cache"}});
  EXPECT_STREQ(c.error, "");
  for (int d = 0; d < hami::region::kMaxDevices; ++d) {
    EXPECT_EQ(c.mem_limit[d], 4096 * kMiB) << d;
    EXPECT_EQ(c.sm_limit[d], 50u) << d;
  }
  EXPECT_STREQ(c.region_path, "/usr/local/vgpu/uid-1_main.cache");
  EXPECT_FALSE(c.region_dirs_to_create);
}

TEST(ShimConfigTest, EveryUnitSpellingInUse) {
  const std::pair<const char*, uint64_t> cases[] = {
      {"4147m", 4147 * kMiB},         // KAI, HAMi device plugin
      {"17179869184", 16384 * kMiB},  // Koordinator
      {"2g", 2048 * kMiB},           {"1048576k", 1024 * kMiB},
      {"3000Mi", 3000 * kMiB},  // read as MiB, never as 3000 bytes
  };
  for (const auto& [text, bytes] : cases) {
    auto c = Read({{"CUDA_DEVICE_MEMORY_LIMIT", text}});
    EXPECT_STREQ(c.error, "") << text;
    EXPECT_EQ(c.mem_limit[0], bytes) << text;
    EXPECT_EQ(c.mem_limit[15], bytes) << text;
    EXPECT_FALSE(c.any_sm_limit) << text;
  }
  for (const char* bad : {"4147 m", "4.5g", "4147MiBs", "0", ""}) {
    EXPECT_STRNE(Read({{"CUDA_DEVICE_MEMORY_LIMIT", bad}}).error, "") << bad;
  }
}

TEST(ShimConfigTest, IndexedLimitOverridesTheUnindexedOne) {
  auto c = Read({{"CUDA_DEVICE_MEMORY_LIMIT", "4147m"}, {"CUDA_DEVICE_MEMORY_LIMIT_1", "1g"}});
  EXPECT_EQ(c.mem_limit[0], 4147 * kMiB);
  EXPECT_EQ(c.mem_limit[1], 1024 * kMiB);
  EXPECT_EQ(c.mem_limit[2], 4147 * kMiB);
}

TEST(ShimConfigTest, KaiIsolatorPerContainerCachePath) {
  const Env kai = {{"CUDA_DEVICE_MEMORY_LIMIT", "4147m"},
                   {"POD_UID", "0b7e9a8c-2f61"},
                   {"CONTAINER_NAME", "main"},
                   {"CONTAINER_VGPU_MOUNT", "/usr/local/vgpu"}};
  auto c = Read(kai);
  EXPECT_STREQ(c.region_path, "/usr/local/vgpu/containers/0b7e9a8c-2f61_main/usage.cache");
  EXPECT_TRUE(c.region_dirs_to_create);

  Env explicit_path = kai;  // an explicit CUDA_DEVICE_MEMORY_SHARED_CACHE wins
  explicit_path["CUDA_DEVICE_MEMORY_SHARED_CACHE"] = "/tmp/x.cache";
  c = Read(explicit_path);
  EXPECT_STREQ(c.region_path, "/tmp/x.cache");
  EXPECT_FALSE(c.region_dirs_to_create);

  for (const char* missing : {"POD_UID", "CONTAINER_NAME", "CONTAINER_VGPU_MOUNT"}) {
    Env partial = kai;
    partial.erase(missing);
    c = Read(partial);
    EXPECT_STREQ(c.region_path, "/tmp/cudevshr.cache") << missing;
    EXPECT_FALSE(c.region_dirs_to_create) << missing;
  }
  for (const char* uid : {"../../etc", "a/b", "..", "."}) {
    Env hostile = kai;
    hostile["POD_UID"] = uid;
    c = Read(hostile);
    EXPECT_STREQ(c.region_path, "/tmp/cudevshr.cache") << uid;
    EXPECT_STREQ(c.error, "") << "a path problem is not a limit problem: " << uid;
  }
  Env too_long = kai;
  too_long["CONTAINER_VGPU_MOUNT"] = "/" + std::string(300, 'v');
  EXPECT_STREQ(Read(too_long).region_path, "/tmp/cudevshr.cache");
}

}  // namespace
