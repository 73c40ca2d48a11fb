// Property: whatever sequence of allocation and free calls several processes of one container
// make, through every path and on every device, the memory charged never exceeds the limit —
// neither what the region says nor what the simulated GPU physically holds — and it returns to
// zero once they are gone, whether they exit or are SIGKILLed.
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "region/region.h"
#include "test/shim/probe_child.h"

namespace {

using hami::test::Child;
using hami::test::kMiB;
namespace region = hami::region;

constexpr const char* kGpus = "2xA100-40GB";
constexpr uint64_t kLimit = 256 * kMiB;
constexpr int kProcesses = 4;
constexpr int kSteps = 90;  // per process

const char* const kKinds[] = {"mem",   "managed", "pitch", "array", "array3d", "mipmap",
                              "async", "pool",    "vmm",   "ctx",   "graph"};

class PropertyTest : public hami::test::ProbeTest {
 protected:
  PropertyTest() : ProbeTest("hami_prop_") {}

  std::map<std::string, std::string> ContainerEnv() {
    auto env = Env("", kGpus);
    env["CUDA_DEVICE_MEMORY_LIMIT"] = "256m";
    env["HAMI_SIM_CONTEXT_MIB"] = "8";
    env["HAMI_CONTEXT_OVERHEAD"] = "8m";
    return env;
  }

  // A random size: tiny (granule effects), medium, or large (near the limit).
  static uint64_t Size(std::mt19937_64& rng) {
    switch (rng() % 3) {
      case 0:
        return 1 + rng() % (64 << 10);
      case 1:
        return 1 + rng() % (8 * kMiB);
      default:
        return 16 * kMiB + rng() % (96 * kMiB);
    }
  }

  void CheckBounds(const std::string& when) {
    for (int d = 0; d < 2; ++d) {
      const uint64_t used = PhysicalUsed(d, kGpus) - base_[d];
      ASSERT_LE(used, kLimit) << "device " << d << " physically over the limit " << when;
      region::RegionFile f;
      ASSERT_EQ(f.OpenReadOnly(region_path_.c_str()), region::Error::kOk);
      ASSERT_LE(region::SumOfSlots(*f.get(), d), kLimit) << "device " << d << " " << when;
    }
  }

  void RunSeed(uint64_t seed);

  uint64_t base_[2] = {};
};

void PropertyTest::RunSeed(uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int d = 0; d < 2; ++d) base_[d] = PhysicalUsed(d, kGpus);
  std::vector<Child> procs;
  std::vector<std::vector<int>> held(kProcesses);
  for (int i = 0; i < kProcesses; ++i) {
    procs.push_back(Spawn(HAMI_ALLOC_PROBE, {}, ContainerEnv()));
    ASSERT_EQ(ReadLine(procs.back()), "setup=0");
  }
  int granted = 0, refused = 0;
  for (int step = 0; step < kSteps; ++step) {
    for (int i = 0; i < kProcesses; ++i) {
      std::vector<int>& mine = held[i];
      if (!mine.empty() && rng() % 5 < 2) {
        const size_t pick = rng() % mine.size();
        EXPECT_EQ(Ask(procs[i], "f " + std::to_string(mine[pick])), "ok");
        mine.erase(mine.begin() + static_cast<long>(pick));
      } else {
        const char* kind = kKinds[rng() % std::size(kKinds)];
        const std::string cmd = std::string("a ") + kind + " " + std::to_string(Size(rng)) + " " +
                                std::to_string(rng() % 2);
        const std::string answer = Ask(procs[i], cmd);
        if (answer.rfind("ok ", 0) == 0) {
          mine.push_back(std::stoi(answer.substr(3)));
          ++granted;
        } else {
          EXPECT_EQ(answer, "err 2") << cmd << " (only CUDA_ERROR_OUT_OF_MEMORY may refuse)";
          ++refused;
        }
      }
      CheckBounds("seed " + std::to_string(seed) + " step " + std::to_string(step));
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_GT(granted, kProcesses * kSteps / 4);
  EXPECT_GT(refused, 0) << "the sequence never reached the limit";
  // Half leave normally, half are SIGKILLed while holding memory.
  for (int i = 0; i < kProcesses; ++i) {
    if (i % 2 == 0) {
      EXPECT_EQ(Wait(procs[i]), 0);
    } else {
      Kill(procs[i]);
    }
  }
  region::RegionFile f;
  region::Attach attach;
  ASSERT_EQ(f.OpenShared(region_path_.c_str(), region::RegionConfig{}, &attach),
            region::Error::kOk);
  EXPECT_GE(region::ReapDead(*f.get()), 0);
  for (int d = 0; d < 2; ++d) {
    EXPECT_EQ(region::SumOfSlots(*f.get(), d), 0u) << "device " << d;
    EXPECT_EQ(region::UsedBytes(*f.get(), d), 0u) << "device " << d;
    EXPECT_EQ(PhysicalUsed(d, kGpus), base_[d]) << "device " << d;
  }
}

TEST_F(PropertyTest, RandomAllocationSequencesNeverExceedTheLimitAndDrainToZero) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RunSeed(seed);
    if (HasFatalFailure()) return;
    unlink(region_path_.c_str());
  }
}

}  // namespace
