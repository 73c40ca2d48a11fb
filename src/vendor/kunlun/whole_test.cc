// The Kunlunxin whole-card backend `kunlun` end to end (vendors.md §10.1): devices from capacity,
// requests, topology through sched::Decide, failure reasons, node score, webhook and bind.
#include <gtest/gtest.h>

#include <utility>

#include "model/pod_test_util.h"
#include "sched/decide.h"
#include "vendor/cluster_state.h"
#include "vendor/kunlun/quantities.h"
#include "vendor/kunlun/wire.h"

namespace hami::vendor::kunlun {
namespace {

codec::NodeObject XpuNode(const std::string& cards) {
  codec::NodeObject node;
  node.name = "n";
  node.capacity[kDefaultCountResource] = cards;
  node.allocatable[kDefaultCountResource] = cards;
  return node;
}

model::Pod PodAsking(const std::string& xpus, std::map<std::string, std::string> annotations = {}) {
  model::Pod pod;
  pod.name = "p";
  pod.annotations = std::move(annotations);
  pod.containers.push_back(model::testing::MakeContainer("c", {{kDefaultCountResource, xpus}}));
  return pod;
}

class KunlunWholeTest : public ::testing::Test {
 protected:
  void SetUp() override { node_ = Node("8"); }

  sched::NodeState Node(const std::string& cards) {
    auto node = NodeStateFromNode(XpuNode(cards), registry_);
    EXPECT_TRUE(node.ok()) << node.error().ToString();
    return node.ok() ? std::move(*node) : sched::NodeState{};
  }

  void Use(std::initializer_list<int> indices) {
    for (int i : indices) {
      node_.devices[i].usage = {1, kWholeDeviceMemory, kWholeDeviceCores, {}, {}};
    }
  }

  sched::Decision Place(const model::Pod& pod, const sched::Policy& policy = {}) {
    auto input = BuildPodInput(pod, registry_, policy);
    EXPECT_TRUE(input.ok()) << input.error().ToString();
    const sched::NodeState* nodes[] = {&node_};
    return sched::Decide(nodes, *input, nullptr);
  }

  // Device indices the first container got, or the rendered failure.
  std::string Outcome(const model::Pod& pod, const sched::Policy& policy = {}) {
    sched::Decision d = Place(pod, policy);
    if (!d.chosen) return model::RenderReasons(d.failures.at(0).second);
    std::string out;
    for (const auto& dev : d.devices.at(kWholeVendorName)[0]) {
      out += (out.empty() ? "" : ",") + std::to_string(dev.idx);
    }
    return "[" + out + "]";
  }

  Registry registry_;
  sched::NodeState node_;
};

TEST_F(KunlunWholeTest, DevicesFromCapacity) {
  ASSERT_EQ(node_.devices.size(), 8u);
  const auto& d5 = node_.devices[5].info;
  EXPECT_EQ(d5.id, "n-kunlun-5");
  EXPECT_EQ(d5.vendor, "kunlun");
  EXPECT_EQ(d5.type, "kunlun");
  EXPECT_EQ(d5.count, 100);
  EXPECT_EQ(d5.devmem, 98304);
  EXPECT_EQ(d5.devcore, 100);
  EXPECT_TRUE(d5.health);
  EXPECT_EQ(node_.devices[3].info.numa, 0);
  EXPECT_EQ(node_.devices[4].info.numa, 1);
  EXPECT_EQ(Node("3").devices[1].info.numa, 1);  // i >= cards / 2

  const Vendor* v = registry_.Find("kunlun");
  EXPECT_EQ(v->DevicesFromNode(XpuNode("0")).error().code(), base::StatusCode::kNotFound);
  EXPECT_EQ(v->DevicesFromNode(codec::NodeObject{}).error().code(), base::StatusCode::kNotFound);
  auto huge = v->DevicesFromNode(XpuNode("5000"));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message().find("kunlunxin.com/xpu"), std::string::npos);
  EXPECT_FALSE(v->DevicesFromNode(XpuNode("-2")).ok());
}

TEST_F(KunlunWholeTest, RequestDerivation) {
  const Vendor* v = registry_.Find("kunlun");
  struct Case {
    const char* count;
    std::optional<int32_t> nums;  // nullopt: no request
    bool error = false;
  };
  const Case cases[] = {
      {"1", 1},
      {"8", 8},
      {"0", std::nullopt},
      {"-1", std::nullopt, true},
      {"2147483647", 2147483647},
      {"2147483648", std::nullopt, true},
      {"1.5", std::nullopt, true},
  };
  for (const auto& c : cases) {
    model::Pod pod = PodAsking(c.count);
    auto r = v->ContainerRequest(pod, pod.containers[0]);
    ASSERT_EQ(r.ok(), !c.error) << c.count;
    if (c.error) {
      EXPECT_NE(r.error().message().find("container c: resource kunlunxin.com/xpu"),
                std::string::npos);
      continue;
    }
    ASSERT_EQ(r->has_value(), c.nums.has_value()) << c.count;
    if (!c.nums) continue;
    EXPECT_EQ(**r, (model::DeviceRequest{"kunlun", *c.nums, 0, 100, 0, "", 0})) << c.count;
  }
  // Requests alone count too (limits first).
  model::Pod pod;
  pod.containers.push_back(model::testing::MakeContainer("c", {}, {{kDefaultCountResource, "2"}}));
  EXPECT_EQ((*v->ContainerRequest(pod, pod.containers[0]))->nums, 2);
}

TEST_F(KunlunWholeTest, TopologyPicks) {
  EXPECT_EQ(Outcome(PodAsking("8")), "[0,1,2,3,4,5,6,7]");
  EXPECT_EQ(Outcome(PodAsking("4")), "[0,1,2,3]");
  Use({5});
  EXPECT_EQ(Outcome(PodAsking("2")), "[4,6]");
  EXPECT_EQ(Outcome(PodAsking("1")), "[4]");
  EXPECT_EQ(Outcome(PodAsking("8")), "1/8 NumaNotFit");
  EXPECT_EQ(Outcome(PodAsking("3")), "1/8 NumaNotFit");
}

TEST_F(KunlunWholeTest, MoreTopologyPicks) {
  struct Case {
    std::initializer_list<int> used;
    const char* count;
    const char* want;
  };
  const Case cases[] = {
      {{6, 7}, "1", "[4]"},
      {{0, 1, 2, 4, 5, 6}, "2", "[3,7]"},
      {{2, 3, 7}, "4", "[0,1,4,5]"},
      {{3, 6}, "4", "[0,1,4,5]"},
      {{2, 6}, "4", "[0,1,4,5]"},
      {{7}, "4", "[0,1,2,3]"},
      {{0, 1, 2, 3, 4, 5, 6, 7}, "1", "1/8 NumaNotFit"},
  };
  for (const auto& c : cases) {
    SetUp();
    Use(c.used);
    EXPECT_EQ(Outcome(PodAsking(c.count)), c.want) << c.count;
  }
}

// Upstream read wing positions in the policy-sorted device list (§17.3): the pick must not depend
// on the GPU policy's order.
TEST_F(KunlunWholeTest, PicksDoNotDependOnThePolicyOrder) {
  Use({7});
  for (const char* policy : {"binpack", "spread"}) {
    sched::Policy p;
    p.gpu = sched::ParseGpuPolicy(policy);
    EXPECT_EQ(Outcome(PodAsking("4"), p), "[0,1,2,3]") << policy;
  }
}

TEST_F(KunlunWholeTest, SecondBoardOfASixteenXpuNode) {
  node_ = Node("16");
  Use({1, 2, 5, 6, 7});
  EXPECT_EQ(Outcome(PodAsking("4")), "[8,9,10,11]");
  Use({0});
  EXPECT_EQ(Outcome(PodAsking("8")), "[8,9,10,11,12,13,14,15]");
}

TEST_F(KunlunWholeTest, PicksBookTheWholeCard) {
  sched::Decision d = Place(PodAsking("1"));
  ASSERT_TRUE(d.chosen);
  EXPECT_EQ(d.devices.at("kunlun")[0][0],
            (model::ContainerDevice{0, "n-kunlun-0", "kunlun", 98304, 100, 1}));
}

TEST_F(KunlunWholeTest, UuidSelectors) {
  struct Case {
    const char* key;
    const char* value;
    const char* want;
  };
  const Case cases[] = {
      {kUseXpuUuid, "n-kunlun-5", "[5]"},
      {kUseGpuUuid, "n-kunlun-3", "[3]"},
      {kUseXpuUuid, "xpu-99", "8/8 CardUuidMismatch"},
      {kNoUseGpuUuid,
       "n-kunlun-0,n-kunlun-1,n-kunlun-2,n-kunlun-3,n-kunlun-4,n-kunlun-5,n-kunlun-6,n-kunlun-7",
       "8/8 CardUuidMismatch"},
      {kNoUseXpuUuid, "n-kunlun-0", "[1]"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Outcome(PodAsking("1", {{c.key, c.value}})), c.want) << c.key << "=" << c.value;
  }
  // Two cards named, four asked: the mismatches explain the failure.
  EXPECT_EQ(Outcome(PodAsking("4", {{kUseXpuUuid, "n-kunlun-0,n-kunlun-1"}})),
            "2/8 AllocatedCardsInsufficientRequest, 6/8 CardUuidMismatch");
}

TEST_F(KunlunWholeTest, MoreDevicesThanTheNodeHas) {
  EXPECT_EQ(Outcome(PodAsking("9")), "NodeInsufficientDevice");
}

TEST_F(KunlunWholeTest, NodeScoreCountsBubbles) {
  Use({0, 1, 2, 3});
  const sched::VendorFit& fit = registry_.Find("kunlun")->Fit();
  ASSERT_TRUE(fit.rules().score_hook);
  std::vector<sched::PendingGrant> grants;
  grants.reserve(8);
  for (int i = 0; i < 8; ++i) grants.push_back({0, "kunlun", i, 98304, 100, 1, -1, {}});
  sched::PodInput pod;
  EXPECT_EQ(fit.ScoreNode(node_, pod, grants, sched::NodePolicy::kBinpack), 3000);
  // An idle board, one card: 1 -> 3 bubbles.
  SetUp();
  EXPECT_EQ(fit.ScoreNode(node_, pod, std::span(grants).first(1), sched::NodePolicy::kSpread), 0);
  // Grants of other vendors do not count.
  std::vector<sched::PendingGrant> other = {{0, "NVIDIA", 0, 1, 1, 1, -1, {}}};
  EXPECT_EQ(fit.ScoreNode(node_, pod, other, sched::NodePolicy::kBinpack), 2000);
}

TEST_F(KunlunWholeTest, WebhookReadsLimitsAndRefusesASecondContainer) {
  const Vendor* v = registry_.Find("kunlun");
  model::Pod pod = PodAsking("2");
  EXPECT_TRUE(*v->Admit(pod, pod.containers[0]));
  model::Container requests_only =
      model::testing::MakeContainer("r", {}, {{kDefaultCountResource, "1"}});
  EXPECT_FALSE(*v->Admit(pod, requests_only));
  auto admitted = AdmitPod(pod, registry_);
  ASSERT_TRUE(admitted.ok()) << admitted.error().ToString();
  EXPECT_TRUE(*admitted);

  pod.init_containers.push_back(
      model::testing::MakeContainer("init", {{kDefaultCountResource, "1"}}));
  auto refused = AdmitPod(pod, registry_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("containers init and c both ask for kunlunxin.com/xpu"),
            std::string::npos);
}

TEST_F(KunlunWholeTest, BindWritesAllocatedAndDeviceIndices) {
  Use({5});
  model::Pod pod = PodAsking("2");
  sched::Decision d = Place(pod);
  ASSERT_TRUE(d.chosen);
  const Vendor* v = registry_.Find("kunlun");
  auto written = v->AllocationAnnotations({pod, "n", d.devices.at("kunlun"), {}, {}, 0});
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  EXPECT_EQ(
      *written,
      (std::map<std::string, std::string>{
          {"hami.io/kunlun-allocated", "n-kunlun-4,kunlun,98304,100:n-kunlun-6,kunlun,98304,100:;"},
          {"BAIDU_COM_DEVICE_IDX", "4,6"}}));
  // Read back: the same cards, booked whole.
  pod.annotations = *written;
  auto granted = GrantedDevices(pod, registry_);
  ASSERT_TRUE(granted.ok());
  const auto& held = granted->devices.at("kunlun");
  ASSERT_EQ(held.size(), 1u);
  ASSERT_EQ(held[0].size(), 2u);
  EXPECT_EQ(held[0][1].uuid, "n-kunlun-6");
  EXPECT_EQ(held[0][1].usedmem, 98304);
  EXPECT_FALSE(v->Lock().has_value());
  EXPECT_TRUE(v->Quota().memory.empty());
  EXPECT_EQ(v->Keys().to_allocate_annotation, "");
}

TEST(KunlunConfigTest, KeysFlagsAndWarnings) {
  using nlohmann::json;
  Registry defaults;
  EXPECT_EQ(defaults.Find("kunlun")->ResourceNames(),
            (std::vector<std::string>{"kunlunxin.com/xpu"}));
  EXPECT_EQ(defaults.Find("XPU")->ResourceNames(),
            (std::vector<std::string>{"kunlunxin.com/vxpu", "kunlunxin.com/vxpu-memory"}));
  auto chart =
      Registry::Create({json::parse(R"({"kunlun":{"resourceCountName":"kunlunxin.com/xpu",)"
                                    R"("resourceVCountName":"kunlunxin.com/vxpu",)"
                                    R"("resourceVMemoryName":"kunlunxin.com/vxpu-memory"}})")});
  ASSERT_TRUE(chart.ok()) << chart.error().ToString();
  EXPECT_TRUE(chart->warnings().empty());

  auto renamed = Registry::Create(
      {json::parse(R"({"kunlun":{"resourceVCountName":"y.com/vxpu","resourceCountName":"",
                                 "extra":true}})")},
      {{"kunlun-name", "x.com/xpu"},
       {"kunlun-vcount", "x.com/vxpu"},
       {"kunlun-vmemory", "x.com/m"}});
  ASSERT_TRUE(renamed.ok()) << renamed.error().ToString();
  EXPECT_EQ(renamed->Find("kunlun")->ResourceNames()[0], "x.com/xpu");  // empty key: the flag
  EXPECT_EQ(renamed->Find("XPU")->ResourceNames(),
            (std::vector<std::string>{"y.com/vxpu", "x.com/m"}));  // the key wins over its flag
  ASSERT_EQ(renamed->warnings().size(), 1u);
  EXPECT_NE(renamed->warnings()[0].find("kunlun.extra: unknown key"), std::string::npos);

  auto clash =
      Registry::Create({json::parse(R"({"kunlun":{"resourceVCountName":"kunlunxin.com/xpu"}})")});
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.error().message().find("must differ"), std::string::npos);
  EXPECT_FALSE(Registry::Create({json::parse(R"({"kunlun":{"resourceCountName":{}}})")}).ok());
}

}  // namespace
}  // namespace hami::vendor::kunlun
