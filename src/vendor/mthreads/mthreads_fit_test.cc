// vendors.md §1.6 (standard acceptance table) with the Moore Threads backend's rules, and §7's
// one-card-per-pod rule through the scheduling core.
#include <gtest/gtest.h>

#include "model/pod_test_util.h"
#include "sched/decide.h"
#include "sched/fit.h"
#include "vendor/cluster_state.h"
#include "vendor/fit_table_test_util.h"
#include "vendor/mthreads/mthreads_vendor.h"
#include "vendor/mthreads/wire.h"

namespace hami::vendor::mthreads {
namespace {

const MthreadsVendor& TheVendor() {
  static const MthreadsVendor vendor{MthreadsConfig{}};
  return vendor;
}

model::DeviceRequest Req(int32_t nums, int64_t mem, int32_t pct, int64_t cores) {
  return testing::TableRequest(kVendorName, nums, mem, pct, cores);
}

TEST(MthreadsFitTest, StandardAcceptanceTable) {
  const testing::Annotations none;
  const std::vector<testing::TableRow> rows = {
      // Equal devices go to the lower index in the core (upstream's reverse walk takes dev-1).
      {"S1", {{"dev-0", 128}, {"dev-1", 128}}, Req(1, 64, 0, 50), none, "fit dev-0:64/50"},
      {"S2", {{"dev-0", 128}}, Req(1, 512, 0, 50), none, "1/1 CardInsufficientMemory"},
      {"S3", {{"dev-0", 1024, 0, 0, 100}}, Req(1, 512, 0, 50), none, "1/1 CardInsufficientCore"},
      {"S5 (N1)",
       {{"dev-1", 1280}},
       Req(1, 512, 0, 50),
       {{kUseUuid, "dev-0"}},
       "1/1 CardUuidMismatch"},
      {"S5",
       {{"dev-1", 1280}},
       Req(2, 512, 0, 50),
       {{kUseUuid, "dev-0"}},
       "NodeInsufficientDevice"},
      {"S6 (N1)",
       {{"dev-0", 1280}},
       Req(1, 512, 0, 50),
       {{kNoUseUuid, "dev-0"}},
       "1/1 CardUuidMismatch"},
      {"S7", {{"dev-0", 1280, 100}}, Req(1, 512, 0, 50), none, "1/1 CardTimeSlicingExhausted"},
      {"S8", {{"dev-0", 1280}}, Req(1, 512, 0, 120), none, "fit dev-0:512/100"},
      {"S9",
       {{"dev-0", 1280, 20}},
       Req(1, 512, 0, 100),
       none,
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"S10",
       {{"dev-0", 1280, 20, 0, 100}},
       Req(1, 512, 0, 0),
       none,
       "1/1 CardComputeUnitsExhausted"},
      {"S11 (partial)",
       {{"dev-0", 1280, 20, 0, 10}, {"dev-1", 1280, 0, 0, 0, false}},
       Req(2, 512, 0, 20),
       none,
       "1/2 AllocatedCardsInsufficientRequest, 1/2 CardNotHealth"},
      {"S12", {{"dev-0", 1280, 20, 0, 10}}, Req(1, 0, 10, 20), none, "fit dev-0:128/20"},
      {"S13",
       {{"dev-0", 1280, 1}},
       Req(1, 64, 0, 50),
       {{"hami.io/gpu-scheduler-policy", "mutex"}},
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"S14",
       {{"dev-0", 1280}, {"dev-1", 1280}},
       Req(3, 512, 0, 20),
       none,
       "NodeInsufficientDevice"},
      {"S15", {{"dev-0", 1280, 0, 0, 0, false}}, Req(1, 64, 0, 50), none, "1/1 CardNotHealth"},
  };
  testing::ExpectTable(TheVendor(), rows);
}

model::Container Slice(std::string name, std::string mem, std::string cores) {
  return model::testing::MakeContainer(
      std::move(name),
      {{kDefaultCountResource, "1"}, {kDefaultMemoryResource, mem}, {kDefaultCoreResource, cores}});
}

// Two cards of 48 GiB (32 core units, 192 memory units of 512 MiB on the node).
sched::NodeState TwoCards(const Registry& registry) {
  codec::NodeObject node;
  node.name = "mt";
  node.capacity = {{kDefaultCoreResource, "32"}, {kDefaultMemoryResource, "192"}};
  auto state = NodeStateFromNode(node, registry);
  EXPECT_TRUE(state.ok()) << state.error().ToString();
  return *state;
}

TEST(MthreadsFitTest, ContainersOfOnePodShareOneCard) {
  Registry registry;
  sched::NodeState node = TwoCards(registry);
  model::Pod pod;
  pod.name = "p";
  pod.containers = {Slice("a", "32", "8"), Slice("b", "32", "8")};
  sched::Policy spread;
  auto input = BuildPodInput(pod, registry, spread);
  ASSERT_TRUE(input.ok()) << input.error().ToString();
  sched::NodeFitter fitter;
  ASSERT_TRUE(fitter.FitPod(node, *input, nullptr)) << RenderReasons(fitter.failure());
  ASSERT_EQ(fitter.grants().size(), 2u);
  // Spread would put the second container on the idle card; the rule keeps it on the first.
  EXPECT_EQ(fitter.grants()[0].device, fitter.grants()[1].device);

  pod.containers.push_back(Slice("c", "2", "8"));
  auto three = BuildPodInput(pod, registry, spread);
  ASSERT_TRUE(three.ok());
  ASSERT_FALSE(fitter.FitPod(node, *three, nullptr));
  EXPECT_EQ(RenderReasons(fitter.failure()),
            "1/2 CardInsufficientCore, 1/2 CardNotFoundCustomFilterRule");
}

TEST(MthreadsFitTest, MultiCardRequestGetsWholeCards) {
  Registry registry;
  sched::NodeState node = TwoCards(registry);
  model::Pod pod;
  pod.name = "multi";
  pod.containers.push_back(model::testing::MakeContainer("main", {{kDefaultCountResource, "2"}}));
  ASSERT_TRUE(*AdmitPod(pod, registry));
  EXPECT_EQ(pod.containers[0].limits.at(kDefaultCoreResource), "32");
  EXPECT_EQ(pod.containers[0].limits.at(kDefaultMemoryResource), "192");
  auto input = BuildPodInput(pod, registry, sched::Policy{});
  ASSERT_TRUE(input.ok());
  const sched::NodeState* nodes[] = {&node};
  auto decision = sched::Decide(nodes, *input, nullptr);
  ASSERT_TRUE(decision.chosen);
  const model::ContainerDevices& granted = decision.devices.at(kVendorName)[0];
  ASSERT_EQ(granted.size(), 2u);
  EXPECT_EQ(granted[0].usedmem, 49152);
  EXPECT_EQ(granted[0].usedcores, 16);
  // Both cards are now full: a further slice finds no compute left.
  node.devices[0].usage = {1, 49152, 16, {}, {}};
  node.devices[1].usage = {1, 49152, 16, {}, {}};
  model::Pod small;
  small.name = "small";
  small.containers = {Slice("a", "2", "1")};
  auto small_input = BuildPodInput(small, registry, sched::Policy{});
  ASSERT_TRUE(small_input.ok());
  auto refused = sched::Decide(nodes, *small_input, nullptr);
  ASSERT_FALSE(refused.chosen);
  EXPECT_EQ(RenderReasons(refused.failures[0].second), "2/2 CardInsufficientMemory");
}

}  // namespace
}  // namespace hami::vendor::mthreads
