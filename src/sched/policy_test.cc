#include "sched/policy.h"

#include <gtest/gtest.h>

namespace hami::sched {
namespace {

TEST(PolicyTest, NodePolicyAnythingButSpreadIsBinpack) {
  EXPECT_EQ(ParseNodePolicy("spread"), NodePolicy::kSpread);
  EXPECT_EQ(ParseNodePolicy("binpack"), NodePolicy::kBinpack);
  EXPECT_EQ(ParseNodePolicy("weird"), NodePolicy::kBinpack);
}

TEST(PolicyTest, GpuPolicyChains) {
  auto chain = ParseGpuPolicy("binpack,numa");
  EXPECT_EQ(chain.mode, GpuPolicy::Mode::kChain);
  EXPECT_EQ(chain.chain, (std::vector<GpuOrderKey>{GpuOrderKey::kBinpack, GpuOrderKey::kNuma}));
  EXPECT_EQ(ParseGpuPolicy("numa").chain, std::vector<GpuOrderKey>{GpuOrderKey::kNuma});
  EXPECT_EQ(ParseGpuPolicy("foo,bar").chain, std::vector<GpuOrderKey>{GpuOrderKey::kSpread});
  auto mutex = ParseGpuPolicy("mutex");
  EXPECT_TRUE(mutex.mutex);
  EXPECT_EQ(mutex.mode, GpuPolicy::Mode::kSingle);
  EXPECT_TRUE(ParseGpuPolicy("topology-aware").topology_aware);
  EXPECT_TRUE(ParseGpuPolicy("binpack").IsBinpack());
  EXPECT_FALSE(ParseGpuPolicy("").IsBinpack());
}

TEST(PolicyTest, ScoreWeightsExactGrammar) {
  EXPECT_EQ(*ParseScoreWeights("memory=3,slot=1,core=0"), (ScoreWeights{1, 0, 3}));
  for (const char* bad :
       {"", "slot=1,core=1", "slot=1,core=1,memory=1,extra=1", "slot=1,core=1,mem=1",
        "slot=-1,core=1,memory=1", "slot=a,core=1,memory=1", "slot=0,core=0,memory=0",
        "slot=1,slot=1,memory=1", "slot1,core=1,memory=1"}) {
    auto r = ParseScoreWeights(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().message().find("device-scoring-weights"), std::string::npos);
    }
  }
}

TEST(PolicyTest, PodAnnotationsOverrideDefaults) {
  Policy defaults;
  defaults.gpu = ParseGpuPolicy("spread");
  auto p = PolicyForPod({{"hami.io/node-scheduler-policy", "spread"},
                         {"hami.io/gpu-scheduler-policy", "binpack"},
                         {"hami.io/device-scoring-weights", "slot=0,core=0,memory=1"}},
                        defaults);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->node, NodePolicy::kSpread);
  EXPECT_TRUE(p->gpu.IsBinpack());
  EXPECT_EQ(p->weights, (ScoreWeights{0, 0, 1}));
  EXPECT_FALSE(PolicyForPod({{"hami.io/device-scoring-weights", "x"}}, defaults).ok());
}

}  // namespace
}  // namespace hami::sched
