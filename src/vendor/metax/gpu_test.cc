// vendors.md §8.1 (Metax-GPU) and the `metax:` block, through the public seam: config and flags,
// cards from node capacity, the acceptance table rows that apply, the one-card-per-pod rule and
// the MetaXLink node score.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/pod_test_util.h"
#include "sched/decide.h"
#include "vendor/cluster_state.h"
#include "vendor/fit_table_test_util.h"
#include "vendor/metax/gpu_vendor.h"
#include "vendor/metax/wire.h"

namespace hami::vendor::metax {
namespace {

using nlohmann::json;

const Vendor& Find(const Registry& registry, const char* name) {
  const Vendor* v = registry.Find(name);
  EXPECT_NE(v, nullptr) << name;
  return *v;
}

codec::NodeObject CardsNode(std::string name, std::string cards,
                            std::map<std::string, std::string> annotations = {}) {
  codec::NodeObject node;
  node.name = std::move(name);
  node.capacity = {{kDefaultCountResource, std::move(cards)}};
  node.annotations = std::move(annotations);
  return node;
}

model::Container C(model::ResourceList limits, model::ResourceList requests = {}) {
  return model::testing::MakeContainer("main", std::move(limits), std::move(requests));
}

TEST(MetaxConfigTest, OneBlockBuildsBothBackends) {
  Registry defaults;
  EXPECT_EQ(Find(defaults, "Metax-GPU").ResourceNames(),
            std::vector<std::string>{"metax-tech.com/gpu"});
  EXPECT_EQ(Find(defaults, "Metax-SGPU").ResourceNames(),
            (std::vector<std::string>{"metax-tech.com/sgpu", "metax-tech.com/vmemory",
                                      "metax-tech.com/vcore"}));
  // The chart's block, with its quoted boolean.
  auto chart = Registry::Create({json{{"metax",
                                       {{"resourceCountName", "metax-tech.com/gpu"},
                                        {"resourceVCountName", "x.com/sgpu"},
                                        {"resourceVMemoryName", "x.com/vmem"},
                                        {"resourceVCoreName", "x.com/vcore"},
                                        {"sgpuTopologyAware", "false"}}}}});
  ASSERT_TRUE(chart.ok()) << chart.error().ToString();
  EXPECT_TRUE(chart->warnings().empty());
  EXPECT_EQ(Find(*chart, "Metax-SGPU").ResourceNames()[1], "x.com/vmem");
  auto flags = Registry::Create({}, {{"metax-name", "y.com/gpu"}, {"sgpu-topology-aware", "true"}});
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(Find(*flags, "Metax-GPU").ResourceNames()[0], "y.com/gpu");
  auto bad_flag = Registry::Create({}, {{"sgpu-topology-aware", "maybe"}});
  ASSERT_FALSE(bad_flag.ok());
  EXPECT_NE(bad_flag.error().message().find("--sgpu-topology-aware"), std::string::npos);
  auto bad_key = Registry::Create({json{{"metax", {{"sgpuTopologyAware", "sometimes"}}}}});
  ASSERT_FALSE(bad_key.ok());
  EXPECT_NE(bad_key.error().message().find("metax.sgpuTopologyAware"), std::string::npos);
  auto unknown = Registry::Create({json{{"metax", {{"resourceCount", "z"}}}}});
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->warnings(),
            std::vector<std::string>{"device config: metax.resourceCount: unknown key, ignored"});
}

TEST(MetaxGpuNodeTest, CardsFromCapacity) {
  Registry registry;
  const Vendor& v = Find(registry, "Metax-GPU");
  auto two = v.DevicesFromNode(CardsNode("m", "2"));
  ASSERT_TRUE(two.ok()) << two.error().ToString();
  ASSERT_EQ(two->devices.size(), 2u);
  const model::DeviceInfo& d = two->devices[1];
  EXPECT_EQ(d.id, "m-metax-1");
  EXPECT_EQ(d.index, 1);
  EXPECT_EQ(d.count, 1);
  EXPECT_EQ(d.devmem, 65536);
  EXPECT_EQ(d.devcore, 100);
  EXPECT_EQ(d.type, "Metax-GPU");
  EXPECT_TRUE(two->attributes.empty());
  EXPECT_EQ(v.HealthResource(), "metax-tech.com/gpu");
  codec::NodeObject bare;
  EXPECT_EQ(v.DevicesFromNode(bare).error().code(), base::StatusCode::kNotFound);
  EXPECT_EQ(v.DevicesFromNode(CardsNode("m", "0")).error().code(), base::StatusCode::kNotFound);
  for (const char* bad : {"-1", "1.5", "x", "5000"}) {
    EXPECT_EQ(v.DevicesFromNode(CardsNode("m", bad)).error().code(),
              base::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(MetaxGpuRequestTest, AlwaysWholeCardsAndAdmissionReadsLimits) {
  Registry registry;
  const Vendor& v = Find(registry, "Metax-GPU");
  const model::Pod pod;
  auto r = v.ContainerRequest(pod, C({{"metax-tech.com/gpu", "2"}}));
  ASSERT_TRUE(r.ok() && *r);
  EXPECT_EQ((*r)->nums, 2);
  EXPECT_EQ((*r)->memreq, 0);
  EXPECT_EQ((*r)->mem_percentage, 100);
  EXPECT_EQ((*r)->coresreq, 100);
  EXPECT_TRUE((*v.ContainerRequest(pod, C({}, {{"metax-tech.com/gpu", "1"}})))->nums == 1);
  EXPECT_FALSE(v.ContainerRequest(pod, C({{"metax-tech.com/gpu", "0"}}))->has_value());
  EXPECT_FALSE(v.ContainerRequest(pod, C({{"metax-tech.com/gpu", "x"}})).ok());
  model::Pod admitted;
  auto limits = C({{"metax-tech.com/gpu", "1"}});
  EXPECT_TRUE(*v.Admit(admitted, limits));
  auto requests = C({}, {{"metax-tech.com/gpu", "1"}});
  EXPECT_FALSE(*v.Admit(admitted, requests));
  EXPECT_FALSE(v.Lock().has_value());
  EXPECT_TRUE(v.Quota().memory.empty() && v.Quota().core.empty());
}

const GpuVendor& TheVendor() {
  static const GpuVendor vendor{MetaxConfig{}};
  return vendor;
}

model::DeviceRequest Req(int32_t nums, int64_t mem, int32_t pct, int64_t cores) {
  return testing::TableRequest(kGpuVendorName, nums, mem, pct, cores);
}

TEST(MetaxGpuFitTest, AcceptanceTableRowsThatApply) {
  const testing::Annotations none;
  const std::vector<testing::TableRow> rows = {
      {"S1", {{"dev-0", 128}, {"dev-1", 128}}, Req(1, 64, 0, 50), none, "fit dev-0:64/50"},
      {"S2", {{"dev-0", 128}}, Req(1, 512, 0, 50), none, "1/1 CardInsufficientMemory"},
      {"S3", {{"dev-0", 1024, 0, 0, 100}}, Req(1, 512, 0, 50), none, "1/1 CardInsufficientCore"},
      // UUID annotations are not read by Metax-GPU.
      {"no UUID check",
       {{"dev-1", 1280}},
       Req(1, 512, 0, 50),
       {{"metax-tech.com/use-gpuuuid", "dev-0"}},
       "fit dev-1:512/50"},
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
      {"S15", {{"dev-0", 1280, 0, 0, 0, false}}, Req(1, 64, 0, 50), none, "1/1 CardNotHealth"},
  };
  testing::ExpectTable(TheVendor(), rows);
}

// §17.5: the same-card rule with count 1 leaves room for one card-using container per pod; the
// second container is refused with the rule's reason (upstream behaviour, kept).
TEST(MetaxGpuFitTest, OneCardUsingContainerPerPod) {
  Registry registry;
  auto node = NodeStateFromNode(CardsNode("m", "2"), registry);
  ASSERT_TRUE(node.ok());
  model::Pod pod;
  pod.name = "two";
  pod.containers = {C({{"metax-tech.com/gpu", "1"}}), C({{"metax-tech.com/gpu", "1"}})};
  auto input = BuildPodInput(pod, registry, sched::Policy{});
  ASSERT_TRUE(input.ok());
  sched::NodeFitter fitter;
  ASSERT_FALSE(fitter.FitPod(*node, *input, nullptr));
  EXPECT_EQ(RenderReasons(fitter.failure()),
            "1/2 CardNotFoundCustomFilterRule, 1/2 CardTimeSlicingExhausted");
  pod.containers = {C({{"metax-tech.com/gpu", "2"}})};
  auto both = BuildPodInput(pod, registry, sched::Policy{});
  ASSERT_TRUE(both.ok());
  EXPECT_TRUE(fitter.FitPod(*node, *both, nullptr));
}

double Score(const codec::NodeObject& object, int cards, sched::NodePolicy policy) {
  Registry registry;
  auto node = NodeStateFromNode(object, registry);
  EXPECT_TRUE(node.ok()) << node.error().ToString();
  std::vector<sched::PendingGrant> grants;
  for (int i = 0; i < cards; ++i) {
    sched::PendingGrant g;
    g.vendor = kGpuVendorName;
    g.device = i;
    grants.push_back(g);
  }
  return Find(registry, "Metax-GPU").Fit().ScoreNode(*node, sched::PodInput{}, grants, policy);
}

TEST(MetaxGpuScoreTest, TopologyAnnotations) {
  const std::string table = R"({"1":100,"2":200})";
  using sched::NodePolicy;
  EXPECT_EQ(Score(CardsNode("m", "4", {{kGpuLossesAnnotation, table}}), 2, NodePolicy::kBinpack),
            1800);
  EXPECT_EQ(Score(CardsNode("m", "4", {{kGpuScoresAnnotation, table}}), 1, NodePolicy::kSpread),
            1900);
  EXPECT_EQ(Score(CardsNode("m", "4"), 1, NodePolicy::kBinpack), 0);
  EXPECT_EQ(Score(CardsNode("m", "4", {{kGpuScoresAnnotation, table}}), 1, NodePolicy::kBinpack),
            0);
  EXPECT_EQ(Score(CardsNode("m", "4", {{kGpuLossesAnnotation, table}}), 4, NodePolicy::kBinpack),
            2000);
  EXPECT_EQ(
      Score(CardsNode("m", "4", {{kGpuLossesAnnotation, "{not json"}}), 1, NodePolicy::kBinpack),
      2000);
}

TEST(MetaxGpuScoreTest, BinpackPrefersLowerLossSpreadHigherScore) {
  Registry registry;
  auto a = NodeStateFromNode(
      CardsNode("a", "2",
                {{kGpuLossesAnnotation, R"({"1":110})"}, {kGpuScoresAnnotation, R"({"1":100})"}}),
      registry);
  auto b = NodeStateFromNode(
      CardsNode("b", "2",
                {{kGpuLossesAnnotation, R"({"1":0})"}, {kGpuScoresAnnotation, R"({"1":500})"}}),
      registry);
  ASSERT_TRUE(a.ok() && b.ok());
  model::Pod pod;
  pod.name = "p";
  pod.containers = {C({{"metax-tech.com/gpu", "1"}})};
  const sched::NodeState* nodes[] = {&*a, &*b};
  for (const char* policy : {"binpack", "spread"}) {
    pod.annotations["hami.io/node-scheduler-policy"] = policy;
    auto input = BuildPodInput(pod, registry, sched::Policy{});
    ASSERT_TRUE(input.ok());
    auto decision = sched::Decide(nodes, *input, nullptr);
    ASSERT_TRUE(decision.chosen) << policy;
    EXPECT_EQ(nodes[*decision.chosen]->name, "b") << policy;
  }
}

TEST(MetaxGpuBindTest, DefaultDeviceListsUnderItsKeys) {
  Registry registry;
  const Vendor& v = Find(registry, "Metax-GPU");
  model::Pod pod;
  model::ContainerDevice d;
  d.idx = 0;
  d.uuid = "m-metax-0";
  d.type = "Metax-GPU";
  d.usedmem = 65536;
  d.usedcores = 100;
  const model::PodSingleDevice devices = {{d}};
  auto written = v.AllocationAnnotations({pod, "m", devices, {}, {}, 0});
  ASSERT_TRUE(written.ok());
  const std::map<std::string, std::string> want = {
      {"hami.io/metax-gpu-devices-to-allocate", "m-metax-0,Metax-GPU,65536,100:;"},
      {"hami.io/metax-gpu-devices-allocated", "m-metax-0,Metax-GPU,65536,100:;"}};
  EXPECT_EQ(*written, want);
  pod.annotations = *written;
  EXPECT_EQ((*v.GrantedDevices(pod))->devices, devices);
}

}  // namespace
}  // namespace hami::vendor::metax
