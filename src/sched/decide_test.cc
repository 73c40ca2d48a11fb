#include "sched/decide.h"

#include <gtest/gtest.h>

#include "test/builders/sched_builders.h"

namespace hami::sched {
namespace {

using testing::NodeBuilder;
using testing::PodWith;
using testing::RequestBuilder;

std::vector<const NodeState*> Ptrs(const std::vector<NodeState>& nodes) {
  std::vector<const NodeState*> out;
  out.reserve(nodes.size());
  for (const auto& n : nodes) out.push_back(&n);
  return out;
}

TEST(DecideTest, BinpackTakesFullestSpreadEmptiestTiesByName) {
  std::vector<NodeState> nodes = {NodeBuilder("b").Gpus(1).Build(),
                                  NodeBuilder("a").Gpus(1).Build(),
                                  NodeBuilder("c").Gpus(1).Use(0, 1, 8000, 20).Build()};
  auto ptrs = Ptrs(nodes);
  auto pod = PodWith({RequestBuilder().Gpu(1).MemMiB(1000).Build()});
  pod.policy.node = NodePolicy::kBinpack;
  auto d = Decide(ptrs, pod, nullptr);
  ASSERT_TRUE(d.chosen);
  EXPECT_EQ(nodes[*d.chosen].name, "c");
  pod.policy.node = NodePolicy::kSpread;
  d = Decide(ptrs, pod, nullptr);
  ASSERT_TRUE(d.chosen);
  EXPECT_EQ(nodes[*d.chosen].name, "a");  // a and b tie; a sorts first
  EXPECT_EQ(d.fits.size(), 3u);
}

TEST(DecideTest, MaterializesPerContainerEntriesAndFailures) {
  std::vector<NodeState> nodes = {NodeBuilder("small").Gpus(1, 1000).Build(),
                                  NodeBuilder("big").Gpus(2, 16000).Build()};
  auto ptrs = Ptrs(nodes);
  model::ContainerRequests none;
  auto pod = PodWith({none, RequestBuilder().Gpu(2).MemMiB(3000).Cores(30).Build()});
  auto d = Decide(ptrs, pod, nullptr);
  ASSERT_TRUE(d.chosen);
  EXPECT_EQ(nodes[*d.chosen].name, "big");
  ASSERT_EQ(d.devices.count("NVIDIA"), 1u);
  const auto& per_container = d.devices.at("NVIDIA");
  ASSERT_EQ(per_container.size(), 2u);
  EXPECT_TRUE(per_container[0].empty());
  ASSERT_EQ(per_container[1].size(), 2u);
  EXPECT_EQ(per_container[1][0].uuid, "big-GPU-0");
  EXPECT_EQ(per_container[1][0].type, "NVIDIA");
  EXPECT_EQ(per_container[1][0].usedmem, 3000);
  EXPECT_EQ(per_container[1][0].usedcores, 30);
  ASSERT_EQ(d.failures.size(), 1u);
  EXPECT_EQ(model::RenderReasons(d.failures[0].second), "NodeInsufficientDevice");
}

TEST(DecideTest, NothingFitsGivesReasonsForEveryNode) {
  std::vector<NodeState> nodes = {NodeBuilder("a").Gpus(1, 1000).Build(),
                                  NodeBuilder("b").Gpus(1, 1000).Unhealthy(0).Build()};
  auto ptrs = Ptrs(nodes);
  auto d = Decide(ptrs, PodWith({RequestBuilder().Gpu(1).MemMiB(3000).Build()}), nullptr);
  EXPECT_FALSE(d.chosen);
  ASSERT_EQ(d.failures.size(), 2u);
  EXPECT_EQ(model::RenderReasons(d.failures[0].second), "1/1 CardInsufficientMemory");
  EXPECT_EQ(model::RenderReasons(d.failures[1].second), "1/1 CardNotHealth");
}

TEST(DecideTest, QuotaTableIsLookedUpByNamespace) {
  std::vector<NodeState> nodes = {NodeBuilder("a").Gpus(1).Build()};
  auto ptrs = Ptrs(nodes);
  QuotaTable quotas;
  quotas["team-a"]["NVIDIA"].mem_limit = 100;
  auto pod = PodWith({RequestBuilder().Gpu(1).MemMiB(3000).Build()});
  EXPECT_TRUE(Decide(ptrs, pod, &quotas).chosen);  // namespace "default" has no quota
  pod.namespace_name = "team-a";
  EXPECT_FALSE(Decide(ptrs, pod, &quotas).chosen);
}

TEST(DecideTest, MigAllocationsAreReported) {
  NodeBuilder b("m");
  b.Gpus(1, 40000).Mig(0, {{"1g.5gb", "", 5000, 14, 1, 1, {{0, 1}, {1, 1}}}});
  std::vector<NodeState> nodes = {b.Build()};
  auto ptrs = Ptrs(nodes);
  auto d = Decide(ptrs, PodWith({RequestBuilder().Gpu(1).MemMiB(1000).Build()}), nullptr);
  ASSERT_TRUE(d.chosen);
  ASSERT_EQ(d.partitions.size(), 1u);
  EXPECT_EQ(d.partitions[0].shape, "1g.5gb");
  EXPECT_EQ(d.partitions[0].uuid, "m-GPU-0");
  EXPECT_EQ(d.partitions[0].vendor, "NVIDIA");
  EXPECT_EQ(d.devices.at("NVIDIA")[0][0].usedmem, 5000);
  EXPECT_EQ(d.devices.at("NVIDIA")[0][0].usedcores, 14);  // the profile's cores, as upstream
}

}  // namespace
}  // namespace hami::sched
