// Ascend fit rules through sched::Decide: the acceptance table S1-S15 for every chip upstream
// runs it on, the hami-core mode gate, NetworkID grouping, 910C module pairing and the node score.
#include <gtest/gtest.h>

#include "vendor/ascend/ascend_test_util.h"

namespace hami::vendor::ascend {
namespace {

using fixture::ChartRegistry;
using fixture::Node;
using fixture::Npu;
using fixture::Place;
using fixture::Req;

struct Row {
  const char* name;
  std::vector<Npu> npus;
  int32_t nums;
  int64_t mem;
  int32_t pct;
  int64_t cores;
  std::map<std::string, std::string> annotations;
  std::string want;
};

// vendors.md §1.6 adapted to the full filter path (see hygon_fit_test.cc for the same table):
// rows that ask for more NPUs than the node has meet upstream's generic NodeInsufficientDevice
// before Fit, so their Fit-level outcome is shown with an extra device. `hami_core`: the pod asks
// for the soft split (on a node that runs it, where every device counts 100 cores); otherwise the
// registered devcore (100 in the table) counts.
std::vector<Row> Table(const std::string& cw, bool hami_core) {
  const std::string use = "hami.io/use-" + cw + "-uuid";
  const std::string nouse = "hami.io/no-use-" + cw + "-uuid";
  std::map<std::string, std::string> soft;
  if (hami_core) soft[kVnpuModeAnnotation] = kVnpuModeHamiCore;
  auto with = [&](std::map<std::string, std::string> more) {
    more.insert(soft.begin(), soft.end());
    return more;
  };
  const Npu d0{"dev-0"};
  const Npu d1{"dev-1"};
  return {
      {"S1", {{"dev-0", 128}, {"dev-1", 128}}, 1, 64, 101, 50, soft, "fit:dev-0:64:50"},
      {"S2", {{"dev-0", 128}}, 1, 512, 101, 50, soft, "1/1 CardInsufficientMemory"},
      {"S3", {{"dev-0", 1024, 0, 100}}, 1, 512, 101, 50, soft, "1/1 CardInsufficientCore"},
      {"S5", {d1}, 1, 512, 101, 50, with({{use, "dev-0"}}), "1/1 CardUuidMismatch"},
      {"S5b", {d1}, 2, 512, 101, 50, with({{use, "dev-0"}}), "NodeInsufficientDevice"},
      {"S6", {d0}, 1, 512, 101, 50, with({{nouse, "dev-0"}}), "1/1 CardUuidMismatch"},
      {"S7", {{"dev-0", 1280, 100}}, 1, 512, 101, 50, soft, "1/1 CardTimeSlicingExhausted"},
      {"S8", {d0}, 1, 512, 101, 120, soft, "fit:dev-0:512:100"},
      {"S9", {{"dev-0", 1280, 20}}, 1, 512, 101, 100, soft, "1/1 ExclusiveDeviceAllocateConflict"},
      {"S10", {{"dev-0", 1280, 20, 100}}, 1, 512, 101, 0, soft, "1/1 CardComputeUnitsExhausted"},
      {"S11",
       {{"dev-0", 1280, 20, 10}, {"dev-1", 1280, 20, 100}},
       2,
       512,
       101,
       20,
       soft,
       "1/2 AllocatedCardsInsufficientRequest, 1/2 CardInsufficientCore"},
      {"S12", {{"dev-0", 1280, 20, 10}}, 1, 0, 10, 20, soft, "fit:dev-0:128:20"},
      {"S13",
       {{"dev-0", 1280, 1}},
       1,
       64,
       101,
       50,
       with({{"hami.io/gpu-scheduler-policy", "mutex"}}),
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"S14",
       {d0, d1, {"dev-2", 1280, 0, 0, false}},
       3,
       512,
       101,
       20,
       soft,
       "1/3 CardNotHealth, 2/3 AllocatedCardsInsufficientRequest"},
      {"S15", {{"dev-0", 1280, 0, 0, false}}, 1, 64, 101, 50, soft, "1/1 CardNotHealth"},
  };
}

TEST(AscendFitTest, StandardAcceptanceTableOnEveryChip) {
  const Registry r = ChartRegistry();
  const std::map<std::string, std::string> hami_core_node = {{kNodeVnpuCoreAnnotation, kTrue}};
  for (const char* cw :
       {"Ascend910A", "Ascend910B2", "Ascend910B3", "Ascend910B4", "Ascend910B4-1", "Ascend310P"}) {
    for (bool hami_core : {false, true}) {
      for (const auto& row : Table(cw, hami_core)) {
        EXPECT_EQ(Place(r, Node(cw, row.npus, hami_core_node),
                        Req(cw, row.nums, row.mem, row.pct, row.cores), row.annotations),
                  row.want)
            << cw << " " << row.name << (hami_core ? " hami-core" : "");
      }
    }
  }
}

// S4 and upstream's substring type filter (§17.1): a chip's request only sees its own NPUs, so
// Ascend910B4 never lands on Ascend910B4-1.
TEST(AscendFitTest, RequestsSeeOnlyTheirOwnChip) {
  const Registry r = ChartRegistry();
  EXPECT_EQ(
      Place(r, Node("Ascend910B4-1", {{"dev-0", 65536}}), Req("Ascend910B4", 1, 8192, 101, 0)),
      "NodeInsufficientDevice");
}

TEST(AscendFitTest, HardSplitBooksTemplatesAgainstRegisteredCores) {
  const Registry r = ChartRegistry();
  const auto node = Node("Ascend910A", {{"dev-0", 32768, 0, 0, true, -1, "", 30}});
  EXPECT_EQ(Place(r, node, Req("Ascend910A", 1, 8738, 101, 0)), "fit:dev-0:8738:0");
  auto full = node;
  full.devices[0].usage.usedmem = 32768 - 8738 + 1;
  EXPECT_EQ(Place(r, full, Req("Ascend910A", 1, 8738, 101, 0)), "1/1 CardInsufficientMemory");
}

TEST(AscendFitTest, HamiCoreModeGate) {
  const Registry r = ChartRegistry();
  const std::map<std::string, std::string> soft = {{kVnpuModeAnnotation, kVnpuModeHamiCore}};
  const std::vector<Npu> npus = {{"dev-0", 32768, 0, 0, true, -1, "", 30}};
  const auto plain_node = Node("Ascend910A", npus);
  for (const auto& req : {Req("Ascend910A", 1, 15360, 101, 20), Req("Ascend910A", 1, 32768, 101, 0),
                          Req("Ascend910A", 1, 0, 101, 0)}) {
    EXPECT_EQ(Place(r, plain_node, req, soft), "1/1 ModeNotFit");
  }
  const auto core_node = Node("Ascend910A", npus, {{kNodeVnpuCoreAnnotation, kTrue}});
  EXPECT_EQ(Place(r, core_node, Req("Ascend910A", 1, 8738, 101, 0)), "fit:dev-0:8738:0");
  EXPECT_EQ(Place(r, core_node, Req("Ascend910A", 1, 32768, 101, 0)), "fit:dev-0:32768:0");
  EXPECT_EQ(Place(r, core_node, Req("Ascend910A", 1, 32768, 101, 0), soft), "fit:dev-0:32768:0");
  // In hami-core mode a device counts 100 cores whatever devcore it registered (30 here).
  EXPECT_EQ(Place(r, core_node, Req("Ascend910A", 1, 1024, 101, 60), soft), "fit:dev-0:1024:60");

  // The node annotation overrides the config's hamiVnpuCore either way.
  const Registry soft_default = ChartRegistry(true);
  EXPECT_EQ(Place(soft_default, plain_node, Req("Ascend910A", 1, 1024, 101, 20), soft),
            "fit:dev-0:1024:20");
  EXPECT_EQ(Place(soft_default, Node("Ascend910A", npus, {{kNodeVnpuCoreAnnotation, "false"}}),
                  Req("Ascend910A", 1, 1024, 101, 20), soft),
            "1/1 ModeNotFit");
}

TEST(AscendFitTest, NetworkIdGroupsMultiNpuContainers) {
  const Registry r = ChartRegistry();
  const auto node = Node("Ascend910B3", {{"dev-0", 128, 0, 0, true, -1, "0"},
                                         {"dev-1", 128, 0, 0, true, -1, "1"},
                                         {"dev-2", 128, 0, 0, true, -1, "1"}});
  EXPECT_EQ(Place(r, node, Req("Ascend910B3", 2, 64, 101, 0)), "fit:dev-1:64:0,dev-2:64:0");
  EXPECT_EQ(Place(r, node, Req("Ascend910B3", 1, 64, 101, 0)), "fit:dev-0:64:0");
  // Without a NetworkID on every NPU: the first fitting ones, as the plain card loop.
  auto partial = node;
  partial.devices[0].info.attributes.clear();
  EXPECT_EQ(Place(r, partial, Req("Ascend910B3", 2, 64, 101, 0)), "fit:dev-0:64:0,dev-1:64:0");
  // 310P has no NetworkID rule.
  const auto p310 = Node("Ascend310P", {{"dev-0", 128, 0, 0, true, -1, "0"},
                                        {"dev-1", 128, 0, 0, true, -1, "1"},
                                        {"dev-2", 128, 0, 0, true, -1, "1"}});
  EXPECT_EQ(Place(r, p310, Req("Ascend310P", 2, 64, 101, 0)), "fit:dev-0:64:0,dev-1:64:0");
}

std::vector<Npu> ModuleNpus(const std::vector<int32_t>& indices, bool network_id = true) {
  std::vector<Npu> npus;
  npus.reserve(indices.size());
  for (int32_t i : indices) {
    npus.emplace_back("dev-" + std::to_string(i), 32000, 0, 0, true, i, network_id ? "0" : "");
  }
  return npus;
}

TEST(AscendFitTest, Ascend910CTakesWholeModules) {
  const Registry r = ChartRegistry();
  EXPECT_EQ(Place(r, Node("Ascend910C", ModuleNpus({0, 1, 2})), Req("Ascend910C", 2, 128, 101, 0)),
            "fit:dev-0:128:0,dev-1:128:0");
  EXPECT_EQ(
      Place(r, Node("Ascend910C", ModuleNpus({0, 1, 2, 4, 6})), Req("Ascend910C", 4, 128, 101, 0)),
      "5/5 AllocatedCardsInsufficientRequest");
  EXPECT_EQ(Place(r, Node("Ascend910C", ModuleNpus({0, 2})), Req("Ascend910C", 2, 128, 101, 0)),
            "2/2 AllocatedCardsInsufficientRequest");
  EXPECT_EQ(
      Place(r, Node("Ascend910C", ModuleNpus({0, 2}, false)), Req("Ascend910C", 2, 128, 101, 0)),
      "2/2 AllocatedCardsInsufficientRequest");
  EXPECT_EQ(Place(r, Node("Ascend910C", ModuleNpus({0, 1})), Req("Ascend910C", 2, 128, 101, 0)),
            "fit:dev-0:128:0,dev-1:128:0");
  EXPECT_EQ(
      Place(r, Node("Ascend910C", ModuleNpus({0, 1}, false)), Req("Ascend910C", 2, 128, 101, 0)),
      "fit:dev-0:128:0,dev-1:128:0");
  EXPECT_EQ(Place(r, Node("Ascend910C", ModuleNpus({0, 2, 4, 6}, false)),
                  Req("Ascend910C", 4, 128, 101, 0)),
            "4/4 AllocatedCardsInsufficientRequest");
  // A module with one NPU busy is not whole: the pair comes from the next module.
  auto busy = Node("Ascend910C", ModuleNpus({0, 1, 2, 3}));
  busy.devices[0].usage.usedmem = 32000;
  EXPECT_EQ(Place(r, busy, Req("Ascend910C", 2, 128, 101, 0)), "fit:dev-2:128:0,dev-3:128:0");
  // An odd count (the webhook was bypassed) cannot be made of modules.
  EXPECT_EQ(
      Place(r, Node("Ascend910C", ModuleNpus({0, 1, 2, 3})), Req("Ascend910C", 3, 128, 101, 0)),
      "4/4 AllocatedCardsInsufficientRequest");
}

sched::PendingGrant Grant(std::string_view cw, int32_t container, int32_t device) {
  sched::PendingGrant g;
  g.container = container;
  g.vendor = cw;
  g.device = device;
  return g;
}

TEST(AscendFitTest, NodeScoreRewardsGroupingUnderBothPolicies) {
  const Registry r = ChartRegistry();
  const sched::VendorFit& fit = r.Find("Ascend910B3")->Fit();
  ASSERT_TRUE(fit.rules().score_hook);
  const auto node = Node("Ascend910B3", {{"dev-0", 128, 0, 0, true, -1, "0"},
                                         {"dev-1", 128, 0, 0, true, -1, "1"},
                                         {"dev-2", 128, 0, 0, true, -1, "1"}});
  const sched::PodInput pod;
  const std::vector<sched::PendingGrant> grouped = {Grant("Ascend910B3", 0, 1),
                                                    Grant("Ascend910B3", 0, 2)};
  const std::vector<sched::PendingGrant> split = {Grant("Ascend910B3", 0, 0),
                                                  Grant("Ascend910B3", 0, 1)};
  const std::vector<sched::PendingGrant> two = {Grant("Ascend910B3", 0, 0),
                                                Grant("Ascend910B3", 1, 1), Grant("NVIDIA", 1, 2)};
  EXPECT_DOUBLE_EQ(fit.ScoreNode(node, pod, grouped, sched::NodePolicy::kBinpack), 10);
  EXPECT_DOUBLE_EQ(fit.ScoreNode(node, pod, split, sched::NodePolicy::kBinpack), 5);
  EXPECT_DOUBLE_EQ(fit.ScoreNode(node, pod, two, sched::NodePolicy::kBinpack), 20);
  EXPECT_DOUBLE_EQ(fit.ScoreNode(node, pod, grouped, sched::NodePolicy::kSpread), -10);
  EXPECT_DOUBLE_EQ(fit.ScoreNode(node, pod, split, sched::NodePolicy::kSpread), -5);
  auto partial = node;
  partial.devices[0].info.attributes.clear();
  EXPECT_DOUBLE_EQ(fit.ScoreNode(partial, pod, split, sched::NodePolicy::kBinpack), 0);
  EXPECT_FALSE(r.Find("Ascend310P")->Fit().rules().score_hook);
  EXPECT_FALSE(r.Find("Ascend310P")->Fit().rules().select_hook);
}

// Two nodes as alike as can be, one able to keep a pair in one NetworkID group: it wins under
// binpack and under spread (upstream's raw score would push spread to the split node).
TEST(AscendFitTest, GroupedNodeWinsUnderBothPolicies) {
  const Registry r = ChartRegistry();
  auto split = Node("Ascend910B3", {{"dev-0", 1280, 0, 0, true, -1, "0"},
                                    {"dev-1", 1280, 1, 0, true, -1, "0"},
                                    {"dev-2", 1280, 0, 0, true, -1, "1"},
                                    {"dev-3", 1280, 1, 0, true, -1, "1"}});
  split.devices[1].usage.usedmem = 1280;
  split.devices[3].usage.usedmem = 1280;
  split.name = "a-split";
  auto grouped = split;
  grouped.name = "b-grouped";
  grouped.devices[1].info.attributes[kNetworkIdAttribute] = "1";
  grouped.devices[2].info.attributes[kNetworkIdAttribute] = "0";
  for (const char* policy : {"binpack", "spread"}) {
    model::Pod pod;
    pod.annotations["hami.io/node-scheduler-policy"] = policy;
    sched::PodInput input;
    input.requests.app = {{{"Ascend910B3", Req("Ascend910B3", 2, 640, 101, 0)}}};
    input.vendors["Ascend910B3"] = {*r.Find("Ascend910B3")->Selector(pod),
                                    &r.Find("Ascend910B3")->Fit()};
    input.policy = *sched::PolicyForPod(pod.annotations, sched::Policy{});
    const sched::NodeState* nodes[] = {&split, &grouped};
    auto d = sched::Decide(nodes, input, nullptr);
    ASSERT_TRUE(d.chosen) << policy;
    EXPECT_EQ(*d.chosen, 1u) << policy;
  }
}

}  // namespace
}  // namespace hami::vendor::ascend
