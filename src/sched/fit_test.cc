// Every per-device check of hami-wire §3.5, in order, with upstream's reason strings.
#include "sched/fit.h"

#include <gtest/gtest.h>

#include "test/builders/sched_builders.h"

namespace hami::sched {
namespace {

using model::Reason;
using testing::NodeBuilder;
using testing::PodWith;
using testing::RequestBuilder;

std::string FailReason(const NodeState& node, const PodInput& pod,
                       const std::map<std::string, QuotaState>* quotas = nullptr) {
  NodeFitter fitter;
  if (fitter.FitPod(node, pod, quotas)) return "fits";
  return model::RenderReasons(fitter.failure());
}

std::vector<int32_t> Picked(const NodeState& node, const PodInput& pod) {
  NodeFitter fitter;
  EXPECT_TRUE(fitter.FitPod(node, pod, nullptr)) << model::RenderReasons(fitter.failure());
  std::vector<int32_t> out;
  for (const auto& g : fitter.grants()) out.push_back(g.device);
  return out;
}

TEST(FitTest, EachReasonRendersLikeUpstream) {
  auto one = PodWith({RequestBuilder().Gpu(1).MemMiB(1000).Cores(10).Build()});
  struct Case {
    const char* name;
    NodeState node;
    PodInput pod;
    std::string want;
  };
  auto mutex_pod = one;
  mutex_pod.policy.gpu = ParseGpuPolicy("mutex");
  auto exclusive = PodWith({RequestBuilder().Gpu(1).MemMiB(1000).Cores(100).Build()});
  auto zero_core = PodWith({RequestBuilder().Gpu(1).MemMiB(1000).Cores(0).Build()});
  auto type_pod = one;
  type_pod.vendors["NVIDIA"].selector.use_types = {"A100"};
  auto nouse_pod = one;
  nouse_pod.vendors["NVIDIA"].selector.nouse_types = {"T4"};
  auto mode_pod = one;
  mode_pod.vendors["NVIDIA"].selector.mode = "mig";
  auto uuid_pod = one;
  uuid_pod.vendors["NVIDIA"].selector.use_uuids = {"nope"};
  auto nouuid_pod = one;
  nouuid_pod.vendors["NVIDIA"].selector.nouse_uuids = {"n-GPU-0"};
  std::vector<Case> cases = {
      {"unhealthy", NodeBuilder("n").Gpus(1).Unhealthy(0).Build(), one, "1/1 CardNotHealth"},
      {"cordoned", NodeBuilder("n").Gpus(2).Cordon(0).Cordon(1).Build(), one, "2/2 CardCordoned"},
      {"use type", NodeBuilder("n").Gpus(1).Build(), type_pod, "1/1 CardTypeMismatch"},
      {"nouse type", NodeBuilder("n").Gpus(1).Build(), nouse_pod, "1/1 CardTypeMismatch"},
      {"vgpu mode", NodeBuilder("n").Gpus(1).Build(), mode_pod, "1/1 CardTypeMismatch"},
      {"use uuid", NodeBuilder("n").Gpus(1).Build(), uuid_pod, "1/1 CardUuidMismatch"},
      {"nouse uuid", NodeBuilder("n").Gpus(1).Build(), nouuid_pod, "1/1 CardUuidMismatch"},
      {"slots", NodeBuilder("n").Gpus(1).Split(0, 2).Use(0, 2, 0, 0).Build(), one,
       "1/1 CardTimeSlicingExhausted"},
      {"mutex", NodeBuilder("n").Gpus(1).Use(0, 1, 10, 0).Build(), mutex_pod,
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"memory", NodeBuilder("n").Gpus(2, 1500).Use(0, 1, 600, 0).Use(1, 1, 501, 0).Build(), one,
       "2/2 CardInsufficientMemory"},
      {"cores", NodeBuilder("n").Gpus(1).Use(0, 1, 0, 95).Build(), one, "1/1 CardInsufficientCore"},
      {"exclusive", NodeBuilder("n").Gpus(1).Use(0, 1, 100, 0).Build(), exclusive,
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"compute exhausted", NodeBuilder("n").Gpus(1).Use(0, 1, 100, 100).Build(), zero_core,
       "1/1 CardComputeUnitsExhausted"},
      {"too few devices", NodeBuilder("n").Gpus(1).Build(),
       PodWith({RequestBuilder().Gpu(2).MemMiB(10).Build()}), "NodeInsufficientDevice"},
      {"partial", NodeBuilder("n").Gpus(2).Unhealthy(1).Build(),
       PodWith({RequestBuilder().Gpu(2).MemMiB(10).Build()}),
       "1/2 AllocatedCardsInsufficientRequest, 1/2 CardNotHealth"},
      {"mixed reasons", NodeBuilder("n").Gpus(3).Unhealthy(0).Cordon(1).Use(2, 1, 16000, 0).Build(),
       one, "1/3 CardCordoned, 1/3 CardInsufficientMemory, 1/3 CardNotHealth"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FailReason(c.node, c.pod), c.want) << c.name;
  }
}

TEST(FitTest, CoresAboveHundredAreClampedAndPercentMemoryUsesDeviceTotal) {
  NodeFitter fitter;
  auto node = NodeBuilder("n").Gpus(1, 1280).Build();
  ASSERT_TRUE(fitter.FitPod(
      node, PodWith({RequestBuilder().Gpu(1).MemPercent(10).Cores(150).Build()}), nullptr));
  ASSERT_EQ(fitter.grants().size(), 1u);
  EXPECT_EQ(fitter.grants()[0].mem, 128);
  EXPECT_EQ(fitter.grants()[0].cores, 100);
}

TEST(FitTest, SpreadTakesLeastUsedBinpackMostUsedTiesGoToLowestIndex) {
  auto node = NodeBuilder("n").Gpus(3).Use(1, 1, 8000, 50).Build();
  auto pod = PodWith({RequestBuilder().Gpu(1).MemMiB(1000).Cores(10).Build()});
  pod.policy.gpu = ParseGpuPolicy("spread");
  EXPECT_EQ(Picked(node, pod), std::vector<int32_t>{0});  // 0 and 2 tie: lowest index
  pod.policy.gpu = ParseGpuPolicy("binpack");
  EXPECT_EQ(Picked(node, pod), std::vector<int32_t>{1});
}

TEST(FitTest, RequestCountsInScoreOnMixedModels) {
  // Same usage ratio before placement; after placing 8000 MiB the 40 GiB card is emptier, so
  // spread takes it even though the models differ (upstream ignores the request here).
  auto node =
      NodeBuilder("n").Gpus(1, 16384, "NVIDIA-Tesla T4").Gpus(1, 40960, "NVIDIA-A100").Build();
  auto pod = PodWith({RequestBuilder().Gpu(1).MemMiB(8000).Build()});
  pod.policy.gpu = ParseGpuPolicy("spread");
  EXPECT_EQ(Picked(node, pod), std::vector<int32_t>{1});
  pod.policy.gpu = ParseGpuPolicy("binpack");
  EXPECT_EQ(Picked(node, pod), std::vector<int32_t>{0});
}

TEST(FitTest, AppContainersAccumulateInitContainersDoNot) {
  auto node = NodeBuilder("n").Gpus(1, 10000).Build();
  auto big = RequestBuilder().Gpu(1).MemMiB(6000).Build();
  // Two app containers of 6000 on one 10000 card do not fit together.
  EXPECT_EQ(FailReason(node, PodWith({big, big})), "1/1 CardInsufficientMemory");
  // An init container and an app container of 6000 run one after the other: fits.
  EXPECT_EQ(FailReason(node, PodWith({big}, {big})), "fits");
  EXPECT_EQ(FailReason(node, PodWith({big}, {big, big})), "fits");
}

TEST(FitTest, MultiGpuRequestTakesDistinctDevices) {
  auto node = NodeBuilder("n").Gpus(4).Use(2, 1, 1000, 0).Build();
  auto pod = PodWith({RequestBuilder().Gpu(2).MemMiB(1000).Build()});
  pod.policy.gpu = ParseGpuPolicy("binpack");
  EXPECT_EQ(Picked(node, pod), (std::vector<int32_t>{2, 0}));
}

TEST(FitTest, MutexOrderPrefersIdleDevices) {
  auto node = NodeBuilder("n").Gpus(3).Use(0, 1, 10, 0).Use(1, 1, 10, 0).Build();
  auto pod = PodWith({RequestBuilder().Gpu(1).MemMiB(100).Build()});
  pod.policy.gpu = ParseGpuPolicy("mutex");
  EXPECT_EQ(Picked(node, pod), std::vector<int32_t>{2});
}

TEST(FitTest, NumaBindKeepsOneContainerOnOneNode) {
  // NUMA 0 has one free GPU, NUMA 1 has two: a 2-GPU numa-bound request lands on NUMA 1.
  auto node =
      NodeBuilder("n").Gpus(1, 16384, "NVIDIA-T4", 0).Gpus(2, 16384, "NVIDIA-T4", 1).Build();
  auto pod = PodWith({RequestBuilder().Gpu(2).MemMiB(100).Build()});
  pod.vendors["NVIDIA"].selector.numa_bind = true;
  pod.policy.gpu = ParseGpuPolicy("spread");
  auto picked = Picked(node, pod);
  ASSERT_EQ(picked.size(), 2u);
  EXPECT_EQ(node.devices[picked[0]].info.numa, 1);
  EXPECT_EQ(node.devices[picked[1]].info.numa, 1);
  // With NUMA 1 full, the request cannot be split across nodes.
  auto full =
      NodeBuilder("n").Gpus(1, 16384, "NVIDIA-T4", 0).Gpus(1, 16384, "NVIDIA-T4", 1).Build();
  EXPECT_EQ(FailReason(full, pod), "1/2 AllocatedCardsInsufficientRequest, 1/2 NumaNotFit");
}

TEST(FitTest, QuotaCountsRunningPodsAndInitPeak) {
  auto node = NodeBuilder("n").Gpus(2).Build();
  std::map<std::string, QuotaState> quotas;
  quotas["NVIDIA"].mem_limit = 5000;
  quotas["NVIDIA"].used_mem = 2000;
  auto r = RequestBuilder().Gpu(1).MemMiB(2000).Build();
  EXPECT_EQ(FailReason(node, PodWith({r}), &quotas), "fits");
  EXPECT_EQ(FailReason(node, PodWith({r, r}), &quotas), "2/2 ResourceQuotaNotFit");
  // Init 2000 then app 2000 peak at 2000: fits within 3000 left.
  EXPECT_EQ(FailReason(node, PodWith({r}, {r}), &quotas), "fits");
  quotas["NVIDIA"].mem_limit = 0;  // an explicit zero blocks
  EXPECT_EQ(FailReason(node, PodWith({r}), &quotas), "2/2 ResourceQuotaNotFit");
  std::map<std::string, QuotaState> cores;
  cores["NVIDIA"].core_limit = 50;
  EXPECT_EQ(
      FailReason(node, PodWith({RequestBuilder().Gpu(1).MemMiB(1).Cores(60).Build()}), &cores),
      "2/2 ResourceQuotaNotFit");
}

TEST(FitTest, TopologyAwarePicksBestConnectedPair) {
  auto node = NodeBuilder("n")
                  .Gpus(4)
                  .Pair(0, 1, 10)
                  .Pair(0, 2, 10)
                  .Pair(0, 3, 10)
                  .Pair(1, 2, 10)
                  .Pair(1, 3, 10)
                  .Pair(2, 3, 200)
                  .Build();
  auto pod = PodWith({RequestBuilder().Gpu(2).MemMiB(100).Build()});
  pod.policy.gpu = ParseGpuPolicy("topology-aware");
  auto picked = Picked(node, pod);
  std::sort(picked.begin(), picked.end());
  EXPECT_EQ(picked, (std::vector<int32_t>{2, 3}));
  // A single GPU goes to the least connected one, keeping the NVLink pair free.
  auto single = PodWith({RequestBuilder().Gpu(1).MemMiB(100).Build()});
  single.policy.gpu = ParseGpuPolicy("topology-aware");
  auto one = Picked(node, single);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_TRUE(one[0] == 0 || one[0] == 1);
}

TEST(FitTest, MigPicksSmallestProfileWithFreePlacement) {
  std::vector<model::Partition> profiles = {
      {"3g.20gb", "", 20000, 42, 3, 1, {{0, 4}}},
      {"1g.5gb", "", 5000, 14, 1, 1, {{0, 1}, {1, 1}}},
  };
  NodeBuilder b("n");
  b.Gpus(1, 40000).Mig(0, profiles).Split(0, 7);
  b.Device(0).usage.partitions.push_back({"1g.5gb", {0, 1}});
  b.Device(0).usage.used = 1;
  auto node = b.Build();
  NodeFitter fitter;
  ASSERT_TRUE(
      fitter.FitPod(node, PodWith({RequestBuilder().Gpu(1).MemMiB(4000).Build()}), nullptr));
  ASSERT_EQ(fitter.grants().size(), 1u);
  EXPECT_EQ(node.devices[0].info.partitions[fitter.grants()[0].partition].name, "1g.5gb");
  EXPECT_EQ(fitter.grants()[0].placement, (model::Placement{1, 1}));
  // Two instances for one container come from the same GPU; a third has no free 1g slot.
  ASSERT_FALSE(
      fitter.FitPod(node, PodWith({RequestBuilder().Gpu(2).MemMiB(4000).Build()}), nullptr));
  EXPECT_EQ(model::RenderReasons(fitter.failure()),
            "1/1 AllocatedCardsInsufficientRequest, 1/1 CardMigTopologyInfeasible");
  // The 3g profile only fits at slices 0-3, which overlap the booked 1g instance.
  EXPECT_FALSE(
      fitter.FitPod(node, PodWith({RequestBuilder().Gpu(1).MemMiB(15000).Build()}), nullptr));
  EXPECT_EQ(model::RenderReasons(fitter.failure()), "1/1 CardMigTopologyInfeasible");
}

TEST(FitTest, NodeScoreIsUtilizationAfterPlacement) {
  auto node = NodeBuilder("n").Gpus(2, 1000).Use(0, 5, 500, 50).Build();
  NodeFitter fitter;
  ASSERT_TRUE(fitter.FitPod(node, PodWith({RequestBuilder().Gpu(1).MemMiB(500).Cores(50).Build()}),
                            nullptr));
  // slots 6/20, cores 100/200, mem 1000/2000 -> 10 × (0.3 + 0.5 + 0.5)
  EXPECT_DOUBLE_EQ(fitter.score(), 13.0);
}

}  // namespace
}  // namespace hami::sched

namespace hami::sched {
namespace {

using testing::NodeBuilder;
using testing::PodWith;
using testing::RequestBuilder;

std::vector<int32_t> Order(const NodeState& node, const std::string& policy, bool numa_bind,
                           int32_t nums) {
  auto pod = PodWith({RequestBuilder().Gpu(nums).MemMiB(100).Build()});
  pod.policy.gpu = ParseGpuPolicy(policy);
  pod.vendors["NVIDIA"].selector.numa_bind = numa_bind;
  NodeFitter fitter;
  EXPECT_TRUE(fitter.FitPod(node, pod, nullptr)) << policy;
  std::vector<int32_t> out;
  for (const auto& g : fitter.grants()) out.push_back(g.device);
  return out;
}

TEST(GpuOrderTest, ChainsApplyKeysInWrittenOrder) {
  // GPU 0: NUMA 0 busy; GPU 1: NUMA 0 idle; GPU 2: NUMA 1 busy; GPU 3: NUMA 1 idle.
  NodeBuilder b("n");
  b.Gpus(2, 16384, "NVIDIA-T4", 0).Gpus(2, 16384, "NVIDIA-T4", 1);
  b.Use(0, 3, 8000, 30).Use(2, 3, 8000, 30);
  auto node = b.Build();
  // binpack first: the busy GPUs, then NUMA (higher first, as upstream's walk from the end).
  EXPECT_EQ(Order(node, "binpack,numa", false, 1), std::vector<int32_t>{2});
  // numa first: NUMA 1, then binpack within it.
  EXPECT_EQ(Order(node, "numa,binpack", false, 1), std::vector<int32_t>{2});
  EXPECT_EQ(Order(node, "numa,spread", false, 1), std::vector<int32_t>{3});
  EXPECT_EQ(Order(node, "spread,numa", false, 1), std::vector<int32_t>{3});
  // A chain with unknown words only is spread, without NUMA: the idle GPUs tie, lowest index wins.
  EXPECT_EQ(Order(node, "foo,bar", false, 1), std::vector<int32_t>{1});
}

TEST(GpuOrderTest, NumaBindSinglePolicies) {
  NodeBuilder b("n");
  b.Gpus(2, 16384, "NVIDIA-T4", 0).Gpus(2, 16384, "NVIDIA-T4", 1);
  b.Use(0, 3, 8000, 30).Use(3, 3, 8000, 30);
  auto node = b.Build();
  // binpack + numa-bind: lowest NUMA first, busiest within it.
  EXPECT_EQ(Order(node, "binpack", true, 1), std::vector<int32_t>{0});
  // spread + numa-bind: highest NUMA first, idlest within it.
  EXPECT_EQ(Order(node, "spread", true, 1), std::vector<int32_t>{2});
}

TEST(GpuOrderTest, VgpuModeSelectsMatchingDevices) {
  auto node = NodeBuilder("n").Gpus(2).Mode(0, "mps").Build();
  auto pod = PodWith({RequestBuilder().Gpu(1).MemMiB(100).Build()});
  pod.vendors["NVIDIA"].selector.mode = "mps";
  NodeFitter fitter;
  ASSERT_TRUE(fitter.FitPod(node, pod, nullptr));
  EXPECT_EQ(fitter.grants()[0].device, 0);
}

}  // namespace
}  // namespace hami::sched
